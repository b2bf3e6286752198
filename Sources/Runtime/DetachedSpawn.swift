import CHusk
import Glibc
import Sys

/// Starts `/proc/self/exe ARGUMENTS` in a new session with stdio on /dev/null and the write end
/// of a pipe as its fd 3 (for its status line); returns its PID and the read end (close-on-exec,
/// the caller closes it). Used for the supervisor of `run -d`: a fresh exec of husk, so no Swift
/// ever runs in a forked child.
func spawnDetachedHusk(_ arguments: [String], stage: String) throws(HuskError) -> (pid: Int32, status: Int32) {
    var fds: [Int32] = [-1, -1]
    guard husk_pipe_cloexec(&fds) == 0 else { throw HuskError(SysError("pipe"), stage: stage) }
    let exe = "/proc/self/exe"
    let pid = withHuskExecArrays(arguments) { argv, envp in husk_spawn_detached(exe, argv, envp, fds[1]) }
    close(fds[1])
    guard pid > 0 else {
        close(fds[0])
        throw HuskError(SysError("posix_spawn", path: exe, errno: -pid), stage: stage)
    }
    return (pid, fds[0])
}

/// Reads `fd` until EOF: the child's status line.
func readStatusLine(_ fd: Int32) -> String? {
    var reply: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buf, buf.count)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        reply += buf[0..<n]
    }
    return String(decoding: reply, as: UTF8.self).trimmingSuffix("\n")
}

/// `husk ARGUMENTS` and this process's environment as the NULL-terminated C arrays an exec of
/// /proc/self/exe takes (made before any fork: the forked C side only reads them), freed after `body`.
func withHuskExecArrays<T>(_ arguments: [String],
                           _ body: ([UnsafeMutablePointer<CChar>?], [UnsafeMutablePointer<CChar>?]) -> T) -> T {
    let argv = (["husk"] + arguments).map { strdup($0) } + [nil]
    var env: [String] = []
    var e = environ
    while let p = e.pointee { env.append(String(cString: p)); e += 1 }
    let envp = env.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    return body(argv, envp)
}
