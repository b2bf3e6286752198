import CHusk
import Glibc
import Sys

/// `husk run` at a terminal with process.terminal: receives the container's pty master
/// over a socketpair (the child sends it as to any --console-socket), puts our terminal in
/// raw mode, copies bytes both ways and the window size, and restores the terminal.
final class TerminalRelay: @unchecked Sendable {
    private var childEnd: Int32
    private let ourEnd: Int32
    private var master: Int32 = -1
    private var saved: termios?

    init() throws(HuskError) {
        var fds: [Int32] = [-1, -1]
        if socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) != 0 {
            throw HuskError(SysError("socketpair"), stage: "terminal")
        }
        ourEnd = fds[0]
        childEnd = fds[1]
    }

    /// The end the child sends the master on; the caller owns (and closes) it from now on.
    func takeChildEnd() -> Int32 {
        defer { childEnd = -1 }
        return childEnd
    }

    func receiveMaster() throws(HuskError) {
        let fd = husk_recv_fd(ourEnd)
        if fd < 0 { throw HuskError(SysError("receive pty master", errno: -fd), stage: "terminal") }
        master = fd
        syncWindowSize()
        if isatty(0) != 0 {
            var t = termios()
            if tcgetattr(0, &t) == 0 {
                saved = t
                cfmakeraw(&t)
                tcsetattr(0, TCSANOW, &t)
            }
        }
    }

    func syncWindowSize() {
        var ws = winsize()
        if ioctl(0, UInt(TIOCGWINSZ), &ws) == 0 && master >= 0 { _ = ioctl(master, UInt(TIOCSWINSZ), &ws) }
    }

    /// Copies stdin → pty and pty → stdout until the container's init exits.
    func pump(until pidfd: Int32) {
        guard master >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: 16384)
        var stdinOpen = true
        while true {
            var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
            let r = poll(&fds, 3, 200)
            if r < 0 && errno != EINTR { break }
            syncWindowSize()
            if fds[0].revents & Int16(POLLIN) != 0 {
                let n = read(master, &buf, buf.count)
                if n > 0 { _ = write(1, buf, n) } else { break }
            } else if fds[0].revents & Int16(POLLHUP | POLLERR) != 0 {
                break
            }
            if fds[1].revents != 0 {
                let n = read(0, &buf, buf.count)
                if n > 0 { _ = write(master, buf, n) } else { stdinOpen = false }
            }
            if fds[2].revents != 0 && fds[0].revents & Int16(POLLIN) == 0 { break }
        }
    }

    func close() {
        if var t = saved { tcsetattr(0, TCSANOW, &t) }
        if master >= 0 { Glibc.close(master) }
        if childEnd >= 0 { Glibc.close(childEnd) }
        Glibc.close(ourEnd)
    }
}
