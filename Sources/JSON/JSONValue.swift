/// A parsed JSON document. Numbers keep their literal text so 64-bit integers
/// (rlimits, capabilities masks, uids) survive exactly; convert with the accessors.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal as written, e.g. "18446744073709551615" or "-1.5e3".
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON object that keeps its keys in document order (config.json round-trips readably).
public struct JSONObject: Sendable, Equatable {
    public var pairs: [(key: String, value: JSONValue)]

    public init(_ pairs: [(key: String, value: JSONValue)] = []) { self.pairs = pairs }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.pairs.count == b.pairs.count
            && zip(a.pairs, b.pairs).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// The value of the last pair named `key` (JSON allows duplicates; last wins, as in Go).
    public subscript(key: String) -> JSONValue? {
        get { pairs.last(where: { $0.key == key })?.value }
        set {
            if let i = pairs.lastIndex(where: { $0.key == key }) {
                if let newValue { pairs[i].value = newValue } else { pairs.remove(at: i) }
            } else if let newValue {
                pairs.append((key, newValue))
            }
        }
    }
}
