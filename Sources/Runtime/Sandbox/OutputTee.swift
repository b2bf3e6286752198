import CHusk
import Glibc
import Sys

/// `husk sandbox --log-file FILE`: the command's stdout and stderr still reach husk's own, live
/// and separate, and are also saved to FILE in the order they arrive (as a terminal shows
/// them). The container gets pipes instead of husk's fds 1 and 2 (swapped in only while it is
/// created, so it inherits them); husk relays while it waits. Without --log-file nothing of
/// this runs: the container writes straight to husk's stdout and stderr.
final class OutputTee {
    private let file: Int32
    private let path: String
    /// (read end, husk's own fd it goes to)
    private var streams: [(read: Int32, to: Int32)] = []
    private var saved: [Int32] = []
    private var writeEnds: [Int32] = []
    private var fileFailed = false
    private let log: Logger

    init(path: String, log: Logger) throws(HuskError) {
        self.log = log
        self.path = Files.absolute(path)
        file = open(self.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard file >= 0 else { throw HuskError(SysError("open", path: self.path), stage: "sandbox --log-file") }
    }

    deinit {
        restore()
        for s in streams { close(s.read) }
        close(file)
    }

    /// Puts pipes on fds 1 and 2 for the container to inherit (call restore() after create).
    func redirect() throws(HuskError) {
        for target: Int32 in [1, 2] {
            var fds: [Int32] = [-1, -1]
            guard husk_pipe_cloexec(&fds) == 0 else { throw HuskError(SysError("pipe"), stage: "sandbox --log-file") }
            let original = fcntl(target, F_DUPFD_CLOEXEC, 3)
            guard original >= 0 else { throw HuskError(SysError("dup", path: "fd \(target)"), stage: "sandbox --log-file") }
            saved.append(original)
            streams.append((fds[0], original))
            writeEnds.append(fds[1])
            dup2(fds[1], target)  // the copy on 1/2 is not close-on-exec: the container inherits it
        }
    }

    /// husk's own stdout and stderr back; from now on only the container holds the pipes.
    func restore() {
        for (i, original) in saved.enumerated() { dup2(original, Int32(i + 1)) }
        saved.removeAll()
        for fd in writeEnds { close(fd) }
        writeEnds.removeAll()
    }

    /// Relays output for up to `timeoutMs`; true once `pidfd` says the process exited.
    func pump(pidfd: Int32, timeoutMs: Int32) -> Bool {
        var fds = streams.map { pollfd(fd: $0.read, events: Int16(POLLIN), revents: 0) }
        fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0))
        var r: Int32
        repeat { r = poll(&fds, nfds_t(fds.count), timeoutMs) } while r < 0 && errno == EINTR
        guard r > 0 else { return false }
        relay(ready: fds)
        return fds[fds.count - 1].revents != 0
    }

    /// After the container's init exited: what is still in the pipes, until they close
    /// (its pid namespace is gone, so no writer remains) or `timeoutMs` passes.
    func drain(timeoutMs: Int32 = 1000) {
        let deadline = monotonicMs() + Int64(timeoutMs)
        while !streams.isEmpty {
            let left = deadline - monotonicMs()
            guard left > 0 else { break }
            var fds = streams.map { pollfd(fd: $0.read, events: Int16(POLLIN), revents: 0) }
            var r: Int32
            repeat { r = poll(&fds, nfds_t(fds.count), Int32(left)) } while r < 0 && errno == EINTR
            guard r > 0 else { break }
            relay(ready: fds)
        }
    }

    private func relay(ready fds: [pollfd]) {
        var buf = [UInt8](repeating: 0, count: 65536)
        var closed: [Int32] = []
        for (i, s) in streams.enumerated() where fds[i].revents != 0 {
            let n = read(s.read, &buf, buf.count)
            if n > 0 {
                writeAll(s.to, buf, n)
                if !fileFailed && !writeAll(file, buf, n) {
                    fileFailed = true
                    log.warning("sandbox --log-file \(path): \(errnoText(errno)); output goes on to stdout/stderr only")
                }
            } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                closed.append(s.read)
            }
        }
        for fd in closed { close(fd) }
        streams.removeAll { closed.contains($0.read) }
    }

    @discardableResult
    private func writeAll(_ fd: Int32, _ buf: [UInt8], _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let w = buf.withUnsafeBytes { write(fd, $0.baseAddress! + offset, count - offset) }
            if w < 0 && errno == EINTR { continue }
            if w <= 0 { return false }
            offset += w
        }
        return true
    }
}
