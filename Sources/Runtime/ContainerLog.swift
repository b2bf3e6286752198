import Glibc
import JSON
import Sys

/// container.log in a supervised container's state dir: one JSON object per line,
/// `{"stream":"stdout"|"stderr","time":"RFC3339Nano","log":"…"}`, like docker's json-file driver.
/// Output is split at newlines where possible; at `maxSize` the file is renamed to container.log.1
/// (replacing the previous one) and a new one begins. When the disk is full, output is dropped
/// (the container keeps running) and, once writing works again, an entry
/// `{"stream":"husk",…,"dropped":N}` says how many bytes were lost.
/// The supervisor writes it from C (Sources/CHusk/supervise_loop.c); this side reads it back.
public enum ContainerLog {
    public static let defaultMaxSize = 10 * 1024 * 1024

    public static func path(in dir: String) -> String { dir + "/container.log" }
    public static func rotatedPath(in dir: String) -> String { dir + "/container.log.1" }

    /// One entry as read back.
    public struct Entry: Sendable {
        public var stream: String
        public var time: String
        public var log: String
        /// Seconds and nanoseconds since the epoch, parsed from `time`.
        public var instant: (sec: Int64, nsec: Int64)?
    }

    /// Parses one line; nil for a torn or foreign line.
    public static func parse(_ line: ArraySlice<UInt8>) -> Entry? {
        guard let json = try? JSON.parse(line), let o = json.object, let stream = o["stream"]?.string else { return nil }
        let time = o["time"]?.string ?? ""
        var log = o["log"]?.string ?? ""
        if stream == "husk", let n = o["dropped"]?.uint64 { log = "husk: \(n) bytes of output were dropped (\(log))\n" }
        return Entry(stream: stream, time: time, log: log, instant: parseTime(time))
    }

    /// RFC 3339 (`2024-05-01T10:00:00.5Z`, `…+02:00`) to seconds and nanoseconds since the epoch.
    public static func parseTime(_ text: String) -> (sec: Int64, nsec: Int64)? {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int32? {
            guard from + count <= b.count else { return nil }
            var v: Int32 = 0
            for c in b[from..<(from + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int32(c - 48)
            }
            return v
        }
        guard b.count >= 20, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b[13] == 58, let mi = num(14, 2),
              b[16] == 58, let s = num(17, 2) else { return nil }
        var i = 19
        var nsec: Int64 = 0
        if i < b.count && b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count && b[i] >= 48 && b[i] <= 57 {
                if digits < 9 { nsec = nsec * 10 + Int64(b[i] - 48); digits += 1 }
                i += 1
            }
            while digits < 9 { nsec *= 10; digits += 1 }
        }
        var offset: Int64 = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = num(i + 4, 2) {
            offset = Int64(oh) * 3600 + Int64(om) * 60
            if b[i] == 43 { offset = -offset }
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        var t = tm()
        t.tm_year = y - 1900
        t.tm_mon = mo - 1
        t.tm_mday = d
        t.tm_hour = h
        t.tm_min = mi
        t.tm_sec = s
        return (Int64(timegm(&t)) + offset, nsec)
    }
}
