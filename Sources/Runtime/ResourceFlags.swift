import JSON

/// runc's `update` flags and the number forms it accepts, turned into a `linux.resources` object.
public enum ResourceFlags {
    public enum Kind: Sendable { case bytes, unsigned, signed, text }

    /// Flag name → (path in linux.resources, how its value is parsed). runc spells `--cpu-share`; both are accepted.
    public static let table: [(flag: String, path: [String], kind: Kind)] = [
        ("memory", ["memory", "limit"], .bytes),
        ("memory-swap", ["memory", "swap"], .bytes),
        ("memory-reservation", ["memory", "reservation"], .bytes),
        ("kernel-memory", ["memory", "kernel"], .bytes),
        ("kernel-memory-tcp", ["memory", "kernelTCP"], .bytes),
        ("cpu-shares", ["cpu", "shares"], .unsigned),
        ("cpu-share", ["cpu", "shares"], .unsigned),
        ("cpu-period", ["cpu", "period"], .unsigned),
        ("cpu-quota", ["cpu", "quota"], .signed),
        ("cpu-rt-period", ["cpu", "realtimePeriod"], .unsigned),
        ("cpu-rt-runtime", ["cpu", "realtimeRuntime"], .signed),
        ("cpuset-cpus", ["cpu", "cpus"], .text),
        ("cpuset-mems", ["cpu", "mems"], .text),
        ("pids-limit", ["pids", "limit"], .signed),
        ("blkio-weight", ["blockIO", "weight"], .unsigned),
    ]

    /// `base` (a linux.resources object, or nil) with each flag's value set; flags win over the file.
    public static func merge(_ base: JSONValue?, flags: [(name: String, value: String)]) throws(HuskError) -> JSONValue {
        var root: JSONObject
        if let base, !base.isNull {
            guard let o = base.object else { throw HuskError("--resources: expected a JSON object (linux.resources), got \(base)") }
            root = o
        } else {
            root = JSONObject()
        }
        for (name, value) in flags {
            guard let entry = table.first(where: { $0.flag == name }) else { continue }
            let parsed = try parse(value, entry.kind, flag: name)
            var inner = root[entry.path[0]]?.object ?? JSONObject()
            inner[entry.path[1]] = parsed
            root[entry.path[0]] = .object(inner)
        }
        return .object(root)
    }

    static func parse(_ text: String, _ kind: Kind, flag: String) throws(HuskError) -> JSONValue {
        switch kind {
        case .text:
            return .string(text)
        case .bytes:
            guard let v = ramInBytes(text) else {
                throw HuskError("invalid value for --\(flag): \"\(text)\" (bytes, or a number with a k/m/g/t/p suffix such as 64m, or -1 for unlimited)")
            }
            return .int(v)
        case .unsigned:
            guard let v = UInt64(text) else { throw HuskError("invalid value for --\(flag): \"\(text)\" is not a non-negative integer") }
            return .int(v)
        case .signed:
            guard let v = Int64(text) else { throw HuskError("invalid value for --\(flag): \"\(text)\" is not an integer") }
            return .int(v)
        }
    }

    /// docker/go-units RAMInBytes, as runc uses for memory flags: `-1`, or `^[0-9]+(\.[0-9]+)? ?[kmgtp]?i?b?$`
    /// (case-insensitive, binary multiples): "1024", "64m", "64MiB", "1.5g", "512 KB". nil if malformed or too big.
    public static func ramInBytes(_ text: String) -> Int64? {
        if text == "-1" { return -1 }
        var chars = Array(text.lowercased().utf8)
        // Optional "b", then optional "i", then an optional unit letter, then an optional space.
        if chars.last == UInt8(ascii: "b") { chars.removeLast() }
        let hadI = chars.last == UInt8(ascii: "i")
        if hadI { chars.removeLast() }
        var shift: UInt64 = 0
        if let last = chars.last, let i = Array("kmgtp".utf8).firstIndex(of: last) {
            shift = UInt64(10 * (i + 1))
            chars.removeLast()
        }
        if chars.last == UInt8(ascii: " ") { chars.removeLast() }
        let number = String(decoding: chars, as: UTF8.self)
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard !number.isEmpty, parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
            return nil
        }
        let multiplier = UInt64(1) << shift
        guard let whole = UInt64(parts[0]) else { return nil }
        let (w, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        var total = w
        if parts.count == 2 {
            // The fraction, truncated like Go's int64(float * multiplier).
            let digits = parts[1].prefix(18)
            var scale: UInt64 = 1
            for _ in digits { scale *= 10 }
            let frac = UInt64(digits)!
            let product = frac.multipliedFullWidth(by: multiplier)
            guard product.high < scale else { return nil }
            total = total &+ scale.dividingFullWidth(product).quotient
            if total < w { return nil }
        }
        return total > UInt64(Int64.max) ? nil : Int64(total)
    }

    /// A Go duration ("5s", "100ms", "1m30s", "1.5s", "250us") in milliseconds (at least 1); nil if malformed.
    public static func durationMilliseconds(_ text: String) -> Int? {
        let units: [(String, Double)] = [("ns", 1e-6), ("us", 1e-3), ("µs", 1e-3), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return nil }
        while !rest.isEmpty {
            let number = rest.prefix(while: { $0.isNumber || $0 == "." })
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix(while: { !$0.isNumber && $0 != "." })
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        guard total > 0, total < 1e12 else { return nil }
        return max(1, Int(total))
    }
}
