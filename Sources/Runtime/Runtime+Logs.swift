import Glibc
import Sys

/// Options of `husk logs`.
public struct LogsOptions: Sendable {
    public var follow = false
    /// Only the last N entries of what is there already (follow then prints everything new).
    public var tail: Int? = nil
    /// Only entries at or after this instant (seconds, nanoseconds since the epoch).
    public var since: (sec: Int64, nsec: Int64)? = nil

    public init() {}
}

extension Runtime {
    /// Reads a supervised container's container.log (after container.log.1, its older half) and
    /// hands each entry to `emit`; with `follow`, keeps reading (across rotations) until the
    /// container has stopped and its supervisor is gone. `emit` returns false to stop.
    public func logs(_ id: String, _ options: LogsOptions, emit: (ContainerLog.Entry) -> Bool) throws(HuskError) {
        let record = try store.load(id)
        let dir = store.directory(of: id)
        let current = ContainerLog.path(in: dir)
        if record.supervisorPid == nil && !Files.exists(current) {
            throw HuskError("container \"\(id)\" has no log: only containers started with 'husk run -d' (under husk's supervisor) keep one")
        }
        func wanted(_ e: ContainerLog.Entry) -> Bool {
            guard let since = options.since else { return true }
            guard let t = e.instant else { return true }
            return t.sec > since.sec || (t.sec == since.sec && t.nsec >= since.nsec)
        }
        var reader = LogFileReader(path: current)
        var first = ((try? Files.read(ContainerLog.rotatedPath(in: dir))).map { LogFileReader.entries(in: $0[...]).entries } ?? [])
        first += reader.readNew()
        first = first.filter(wanted)
        if let tail = options.tail { first = Array(first.suffix(max(0, tail))) }
        for e in first where !emit(e) { return }
        guard options.follow else { return }
        while true {
            let done = !Files.isDirectory(dir) || (status(of: record) == .stopped && !supervisorAlive(record))
            for e in reader.readNew() where wanted(e) {
                if !emit(e) { return }
            }
            if done { return }
            usleep(100_000)
        }
    }
}

/// Reads whole lines of a log file that grows and may be renamed away (rotation).
struct LogFileReader {
    let path: String
    private var fd: Int32 = -1
    private var pending: [UInt8] = []

    init(path: String) { self.path = path }

    static func entries(in bytes: ArraySlice<UInt8>) -> (entries: [ContainerLog.Entry], rest: ArraySlice<UInt8>) {
        var out: [ContainerLog.Entry] = []
        var start = bytes.startIndex
        while let nl = bytes[start...].firstIndex(of: 10) {
            if let e = ContainerLog.parse(bytes[start..<nl]) { out.append(e) }
            start = nl + 1
        }
        return (out, bytes[start...])
    }

    /// Entries written since the last call; follows container.log to its new file after a rotation.
    mutating func readNew() -> [ContainerLog.Entry] {
        if fd < 0 { fd = open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return [] }
        var result = drain()
        var ours = stat(), now = stat()
        if fstat(fd, &ours) == 0, stat(path, &now) == 0, ours.st_ino != now.st_ino {
            // Rotated: what is left of the old file, then the new one from its start.
            result += drain()
            pending.removeAll()
            close(fd)
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { result += drain() }
        }
        return result
    }

    private mutating func drain() -> [ContainerLog.Entry] {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buf[0..<n]
        }
        let (entries, rest) = Self.entries(in: pending[...])
        pending = Array(rest)
        return entries
    }
}
