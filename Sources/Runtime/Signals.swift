import Glibc

/// Signal names as `kill` accepts them: "TERM", "SIGTERM", "15", "sigkill", "RTMIN+3".
public enum Signals {
    static let table: [(String, Int32)] = [
        ("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("IOT", 6), ("BUS", 7),
        ("FPE", 8), ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14),
        ("TERM", 15), ("STKFLT", 16), ("CHLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("TTIN", 21),
        ("TTOU", 22), ("URG", 23), ("XCPU", 24), ("XFSZ", 25), ("VTALRM", 26), ("PROF", 27), ("WINCH", 28),
        ("IO", 29), ("POLL", 29), ("PWR", 30), ("SYS", 31),
    ]

    public static func parse(_ text: String) -> Int32? {
        if let n = Int32(text) { return n > 0 && n < 65 ? n : nil }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let hit = table.first(where: { $0.0 == name }) { return hit.1 }
        for (base, value, sign) in [("RTMIN", 34, 1), ("RTMAX", 64, -1)] as [(String, Int32, Int32)] where name.hasPrefix(base) {
            let rest = name.dropFirst(base.count)
            if rest.isEmpty { return value }
            // Only RTMIN+n and RTMAX-n: the sign must point into the real-time range.
            let digits = rest.dropFirst()
            guard rest.first == (sign > 0 ? "+" : "-"), !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let off = Int32(digits), off <= 30 else { return nil }  // and no overflow below
            return value + sign * off
        }
        return nil
    }

    public static func name(of signal: Int32) -> String {
        table.first(where: { $0.1 == signal }).map { "SIG" + $0.0 } ?? "signal \(signal)"
    }
}
