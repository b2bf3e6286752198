import JSON

// Hand-written decoding from JSONValue. Errors carry a path that each level extends on the way out,
// so the success path never builds path strings.

/// Reads the members of one JSON object. Absent and null members are treated alike, as Go does.
struct ObjectReader {
    let object: JSONObject

    init(_ value: JSONValue) throws(SpecError) {
        guard case .object(let object) = value else { throw SpecError.wrongType("an object", value) }
        self.object = object
    }

    /// The decoded member, or nil if it is absent or null.
    func optional<T>(_ key: String, _ decode: (JSONValue) throws(SpecError) -> T) throws(SpecError) -> T? {
        guard let value = object[key], !value.isNull else { return nil }
        do {
            return try decode(value)
        } catch {
            throw error.nested(under: .key(key))
        }
    }

    /// The decoded member; absent or null is an error naming the member.
    func required<T>(_ key: String, _ decode: (JSONValue) throws(SpecError) -> T) throws(SpecError) -> T {
        guard let value = try optional(key, decode) else { throw SpecError(path: [.key(key)], .missing) }
        return value
    }
}

/// Decoders for the leaf types of the spec, usable as function values.
enum Decode {
    static func string(_ value: JSONValue) throws(SpecError) -> String {
        guard case .string(let text) = value else { throw SpecError.wrongType("a string", value) }
        return text
    }

    static func bool(_ value: JSONValue) throws(SpecError) -> Bool {
        guard case .bool(let flag) = value else { throw SpecError.wrongType("a boolean", value) }
        return flag
    }

    static func uint32(_ value: JSONValue) throws(SpecError) -> UInt32 {
        try integer(value, UInt32.self, "an unsigned 32-bit integer")
    }

    static func int32(_ value: JSONValue) throws(SpecError) -> Int32 {
        try integer(value, Int32.self, "a 32-bit integer")
    }

    static func uint64(_ value: JSONValue) throws(SpecError) -> UInt64 {
        try integer(value, UInt64.self, "an unsigned 64-bit integer")
    }

    static func int64(_ value: JSONValue) throws(SpecError) -> Int64 {
        try integer(value, Int64.self, "a 64-bit integer")
    }

    static func int(_ value: JSONValue) throws(SpecError) -> Int {
        try integer(value, Int.self, "an integer")
    }

    /// A number that converts exactly to `T`; a fraction or an out-of-range value names the literal.
    static func integer<T: FixedWidthInteger>(
        _ value: JSONValue, _ type: T.Type, _ expected: String
    ) throws(SpecError) -> T {
        guard case .number(let literal) = value else { throw SpecError.wrongType(expected, value) }
        guard let number = value.integer(T.self) else {
            throw SpecError(.wrongType(expected: expected, found: literal))
        }
        return number
    }

    static func object(_ value: JSONValue) throws(SpecError) -> JSONValue {
        guard case .object = value else { throw SpecError.wrongType("an object", value) }
        return value
    }

    static func strings(_ value: JSONValue) throws(SpecError) -> [String] {
        try array(value, string)
    }

    /// An array whose elements are decoded by `element`; errors name the index.
    static func array<T>(_ value: JSONValue, _ element: (JSONValue) throws(SpecError) -> T) throws(SpecError) -> [T] {
        guard case .array(let elements) = value else { throw SpecError.wrongType("an array", value) }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (position, item) in elements.enumerated() {
            do {
                result.append(try element(item))
            } catch {
                throw error.nested(under: .index(position))
            }
        }
        return result
    }

    /// The array decoder for `element`, as a function value for `ObjectReader`.
    static func array<T>(
        of element: @escaping (JSONValue) throws(SpecError) -> T
    ) -> (JSONValue) throws(SpecError) -> [T] {
        { (value: JSONValue) throws(SpecError) -> [T] in try array(value, element) }
    }

    /// An object whose member values are decoded by `element`; errors name the key.
    static func map<T>(_ value: JSONValue, _ element: (JSONValue) throws(SpecError) -> T) throws(SpecError) -> [String: T] {
        guard case .object(let object) = value else { throw SpecError.wrongType("an object", value) }
        var result: [String: T] = [:]
        for (key, item) in object.pairs {
            do {
                result[key] = try element(item)
            } catch {
                throw error.nested(under: .key(key))
            }
        }
        return result
    }

    /// The map decoder for `element`, as a function value for `ObjectReader`.
    static func map<T>(
        of element: @escaping (JSONValue) throws(SpecError) -> T
    ) -> (JSONValue) throws(SpecError) -> [String: T] {
        { (value: JSONValue) throws(SpecError) -> [String: T] in try map(value, element) }
    }

    static func stringMap(_ value: JSONValue) throws(SpecError) -> [String: String] {
        try map(value, string)
    }
}

/// Builders for writing values back out, the inverse of `Decode`.
enum Encode {
    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

    /// Keys sorted, as Go's encoding/json writes maps.
    static func stringMap(_ map: [String: String]) -> JSONValue {
        .object(JSONObject(map.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) }))
    }
}
