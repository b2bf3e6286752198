// A seccomp agent for SCMP_ACT_NOTIFY tests: a python3 script (ctypes-free: socket.recv_fds
// and fcntl.ioctl) listening on a unix socket for the runtime's "container process state" and
// listener fd. It answers every notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE, except
// mkdir/mkdirat of DENY_PATH, which fail with DENY_ERRNO. It writes, in OUT:
//   ready            once it listens
//   state-N.json     the payload of connection N (0, 1, …)
//   fds-N            the number of fds that came with it
//   notified.log     "N SYSCALL_NR PATH" per notification (PATH only for mkdir/mkdirat)
import Foundation

#if canImport(Glibc)
import Glibc
#endif

let seccompAgentSource = #"""
import errno, fcntl, os, select, socket, struct, sys, threading

sock_path, out, deny_path, deny_errno = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
RECV, SEND, CONTINUE = 0xC0502100, 0xC0182101, 1
MKDIR, MKDIRAT = 83, 258
log_lock = threading.Lock()
log = open(os.path.join(out, "notified.log"), "w")

def path_arg(pid, addr):
    try:
        with open("/proc/%d/mem" % pid, "rb") as mem:
            mem.seek(addr)
            return mem.read(4096).split(b"\0")[0]
    except OSError:
        return b""

def serve(n, fd):
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        events = poller.poll()
        if not any(e & select.POLLIN for _, e in events):
            break  # POLLHUP: no process uses the filter any more
        buf = bytearray(80)
        try:
            fcntl.ioctl(fd, RECV, buf, True)
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.EINTR):
                continue
            break
        nid, pid, _ = struct.unpack_from("=QII", buf, 0)
        nr = struct.unpack_from("=i", buf, 16)[0]
        args = struct.unpack_from("=6Q", buf, 32)
        path = b""
        if nr == MKDIR:
            path = path_arg(pid, args[0])
        elif nr == MKDIRAT:
            path = path_arg(pid, args[1])
        if path == deny_path:
            resp = struct.pack("=QqiI", nid, 0, -deny_errno, 0)
        else:
            resp = struct.pack("=QqiI", nid, 0, 0, CONTINUE)
        with log_lock:
            log.write("%d %d %s\n" % (n, nr, path.decode(errors="replace")))
            log.flush()
        try:
            fcntl.ioctl(fd, SEND, resp)
        except OSError:
            pass  # the process died meanwhile
    os.close(fd)

srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(8)
open(os.path.join(out, "ready"), "w").close()
n = 0
while True:
    conn, _ = srv.accept()
    data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 4)
    while True:
        more = conn.recv(1 << 16)
        if not more:
            break
        data += more
    conn.close()
    with open(os.path.join(out, "fds-%d" % n), "w") as f:
        f.write(str(len(fds)))
    with open(os.path.join(out, "state-%d.json" % n), "wb") as f:
        f.write(data)
    for extra in fds[1:]:
        os.close(extra)
    if fds:
        threading.Thread(target=serve, args=(n, fds[0]), daemon=True).start()
    n += 1
"""#

/// A running agent: its socket, its output directory, and what it saw.
struct SeccompAgent {
    let socket: String
    let out: String

    static var available: Bool { Harness.python != nil }

    /// Starts the agent as a helper of `sb` (killed at cleanup); waits until it listens.
    static func start(in sb: Sandbox, denyPath: String, denyErrno: Int32) async throws -> SeccompAgent {
        let out = try sb.hostDir("agent")
        let script = sb.dir + "/agent.py"
        try seccompAgentSource.writeFile(script)
        let socket = sb.dir + "/agent.sock"
        _ = try sb.startHelper([Harness.python!, script, socket, out, denyPath, String(denyErrno)])
        guard try await sb.waitForFile(out + "/ready", timeout: 20) else {
            throw CommandError.spawn("seccomp agent did not start", ETIMEDOUT)
        }
        return SeccompAgent(socket: socket, out: out)
    }

    /// The container process state of connection `n`, once it arrived.
    func state(_ n: Int, timeout: Double = 10) async -> [String: Any]? {
        let path = out + "/state-\(n).json"
        guard await Harness.poll(timeout: timeout, { FileManager.default.fileExists(atPath: out + "/fds-\(n)") }),
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    func fdCount(_ n: Int) -> Int? {
        (try? String(contentsOfFile: out + "/fds-\(n)", encoding: .utf8)).flatMap { Int($0) }
    }

    /// "N NR PATH" lines.
    var notified: [String] {
        ((try? String(contentsOfFile: out + "/notified.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
