// `run` at a terminal with process.terminal: the container gets its own pty, husk relays it.
import Foundation
import Testing

@Suite(.enabled(if: Harness.canRun && Harness.python != nil, "needs root, HUSK_BINARY and python3 (for a pty)"))
struct TerminalRunTests {
    /// Runs argv under a fresh pty (python's pty.fork), types `input`, returns exit code and output.
    private static let ptyDriver = """
    import os, pty, select, sys, time
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[2], sys.argv[2:])
    time.sleep(0.3)
    os.write(fd, sys.argv[1].encode())
    out, deadline = b"", time.time() + 15
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))
    """

    @Test func foregroundRunRelaysAPty() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.args = ["sh"]
            var p = $0.process
            p["terminal"] = true
            $0.process = p
        }
        let id = sb.newID("tty")
        let r = try await sb.host([Harness.python!, "-c", Self.ptyDriver, "tty; echo $((6*7)); exit 4\n",
                                   Harness.binary, "--root", sb.stateRoot, "run", "--bundle", b.path, id], timeout: 30)
        #expect(r.status == 4, "\(r)")
        #expect(r.stdout.contains("/dev/pts/0"), "the shell's stdin is a pty inside the container: \(r.stdout)")
        #expect(r.stdout.contains("42"), "\(r.stdout)")
    }
}
