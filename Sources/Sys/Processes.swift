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
              let close = text.utf8.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Bytes, not Characters: this runs several times on every container's way.
        return text.utf8[text.utf8.index(after: close)...].split(separator: UInt8(ascii: " ")).map { Substring($0) }
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
/// Computed, not gmtime_r'd: glibc reads /etc/localtime first even for UTC, a file read on
/// every create.
public func rfc3339(_ ts: timespec) -> String {
    let secs = Int64(ts.tv_sec)
    let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
    let time = secs - days * 86_400
    let (year, month, day) = civilDate(daysSinceEpoch: days)
    func pad(_ v: Int64, _ w: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, w - s.count)) + s
    }
    var frac = String(ts.tv_nsec)
    frac = String(repeating: "0", count: 9 - frac.count) + frac
    while frac.hasSuffix("0") { frac.removeLast() }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        + "\(pad(time / 3600, 2)):\(pad(time / 60 % 60, 2)):\(pad(time % 60, 2))"
        + (frac.isEmpty ? "" : "." + frac) + "Z"
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's civil_from_days).
public func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let m = (5 * dayOfYear + 2) / 153
    let month = m < 10 ? m + 3 : m - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfYear - (153 * m + 2) / 5 + 1)
}
