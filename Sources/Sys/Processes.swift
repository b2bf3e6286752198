import CHusk
import Glibc

/// Facts about processes from /proc, used to tell a live container from a reused PID.
public enum Processes {
    /// Field 22 of /proc/PID/stat (start time in clock ticks since boot), nil if gone.
    public static func startTime(of pid: Int32) -> UInt64? {
        statFields(pid).flatMap { $0.count > 19 ? UInt64($0[19]) : nil }
    }

    /// The state letter (R, S, Z, …) from /proc/PID/stat, nil if gone.
    public static func stateLetter(of pid: Int32) -> Character? {
        statFields(pid).flatMap { $0.first?.first }
    }

    /// Fields after the ")" that closes the command name (which may hold spaces).
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard pid > 0, let text = try? Files.readString("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// True when `pid` still runs the process that started at `startTime` (and is no zombie).
    public static func isRunning(_ pid: Int32, startedAt startTime: UInt64) -> Bool {
        guard let st = statFields(pid), st.count > 19, UInt64(st[19]) == startTime else { return false }
        return st[0] != "Z" && st[0] != "X"
    }
}

/// Current time as RFC 3339 with nanoseconds in UTC, like Go's time.RFC3339Nano.
public func rfc3339Now() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return rfc3339(ts)
}

/// `ts` (CLOCK_REALTIME) as RFC 3339 in UTC with nanoseconds, trailing zeros trimmed.
public func rfc3339(_ ts: timespec) -> String {
    var tmv = tm()
    var secs = ts.tv_sec
    gmtime_r(&secs, &tmv)
    func pad(_ v: Int32, _ w: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    var frac = String(ts.tv_nsec)
    frac = String(repeating: "0", count: 9 - frac.count) + frac
    while frac.hasSuffix("0") { frac.removeLast() }
    return "\(pad(tmv.tm_year + 1900, 4))-\(pad(tmv.tm_mon + 1, 2))-\(pad(tmv.tm_mday, 2))T"
        + "\(pad(tmv.tm_hour, 2)):\(pad(tmv.tm_min, 2)):\(pad(tmv.tm_sec, 2))"
        + (frac.isEmpty ? "" : "." + frac) + "Z"
}
