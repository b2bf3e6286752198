// terminal: true with --console-socket: the runtime hands the pty master over SCM_RIGHTS.
import Foundation
import Testing

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .enabled(if: Harness.python != nil, "needs python3 for the console-socket receiver"))
struct ConsoleTests {
    /// Listens on a unix socket, receives one fd by SCM_RIGHTS, optionally writes `input` to it,
    /// copies everything read from it to stdout until EOF/EIO. Prints "NOFD" if no fd came.
    static let receiver = #"""
    import array, os, socket, sys
    path, ready, input_text = sys.argv[1], sys.argv[2], sys.argv[3]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    open(ready, "w").close()
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, flags, addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        print("NOFD"); sys.exit(1)
    master = fds[0]
    for extra in fds[1:]:
        os.close(extra)
    conn.close()
    if input_text:
        os.write(master, input_text.encode())
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    sys.stdout.write(out.decode(errors="replace"))
    """#

    struct Receiver {
        let child: Child
        let socket: String
    }

    static func startReceiver(_ sb: Sandbox, input: String = "") async throws -> Receiver {
        let script = sb.dir + "/receiver.py"
        try sb.writeFile(script, receiver)
        let socket = sb.dir + "/console.sock"
        let ready = sb.dir + "/receiver.ready"
        let child = try sb.startHelper([Harness.python!, script, socket, ready, input])
        try await sb.waitForFile(ready)
        try #require(FileManager.default.fileExists(atPath: ready), "receiver did not start: \(child.stderr)")
        return Receiver(child: child, socket: socket)
    }

    @Test func runWithConsoleSocket() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let receiver = try await Self.startReceiver(sb)
        let b = try sb.bundle {
            $0.process["terminal"] = true
            $0.shell("tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; stty size")
        }
        // A console socket goes with a detached container (runc refuses it for a foreground run).
        let r = try await sb.run(b, extra: ["--detach", "--console-socket", receiver.socket])
        #expect(r.status == 0, "\(r)")
        let out = await receiver.child.wait(timeout: 10)
        let lines = out.stdout.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
        #expect(lines.first == "/dev/pts/0", "\(out)")
        #expect(lines.contains("all-ttys"), "\(out)")
    }

    @Test func consoleSizeFromConfig() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let receiver = try await Self.startReceiver(sb)
        let b = try sb.bundle {
            $0.process["terminal"] = true
            $0.process["consoleSize"] = ["height": 33, "width": 101]
            $0.shell("stty size")
        }
        // A console socket goes with a detached container (runc refuses it for a foreground run).
        let r = try await sb.run(b, extra: ["--detach", "--console-socket", receiver.socket])
        #expect(r.status == 0, "\(r)")
        let out = await receiver.child.wait(timeout: 10)
        #expect(out.stdout.replacingOccurrences(of: "\r", with: "") == "33 101\n", "\(out)")
    }

    @Test func createStartWithConsoleSocketAndInput() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let receiver = try await Self.startReceiver(sb, input: "typed-line\n")
        let b = try sb.bundle {
            $0.process["terminal"] = true
            $0.shell("stty -echo; read line; echo \"got:$line\"")
        }
        let id = sb.newID()
        let c = try await sb.husk(["create", "--bundle", b.path, "--console-socket", receiver.socket, id])
        #expect(c.status == 0, "\(c)")
        #expect(try await sb.husk(["start", id]).status == 0)
        let out = await receiver.child.wait(timeout: 10)
        #expect(out.stdout.replacingOccurrences(of: "\r", with: "").contains("got:typed-line"), "\(out)")
        #expect(try await sb.waitForStatus(id, "stopped") == "stopped")
    }

    @Test func terminalWithoutConsoleSocketFailsWhenDetached() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.process["terminal"] = true
            $0.args = ["sleep", "30"]
        }
        let id = sb.newID()
        let r = try await sb.husk(["create", "--bundle", b.path, id])
        #expect(r.status != 0, "\(r)")
        #expect(try await sb.state(id) == nil)
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }

    @Test func consoleSocketThatDoesNotExistFails() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.process["terminal"] = true
            $0.args = ["sleep", "30"]
        }
        let id = sb.newID()
        let r = try await sb.husk(["create", "--bundle", b.path, "--console-socket", sb.dir + "/nope.sock", id])
        #expect(r.status != 0, "\(r)")
        #expect(try await sb.state(id) == nil)
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }
}
