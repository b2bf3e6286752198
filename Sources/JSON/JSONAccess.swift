// Typed views of a JSONValue. Each returns nil when the value is of another type or does not fit.

extension JSONValue {
    /// The string, if this is a string.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The flag, if this is a boolean.
    public var bool: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The elements, if this is an array.
    public var array: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The object, if this is an object.
    public var object: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// True for JSON `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The number's literal text, if this is a number.
    public var numberLiteral: String? {
        if case .number(let literal) = self { return literal }
        return nil
    }

    /// The number as a signed 64-bit integer; nil if fractional or out of range ("1e3" counts as 1000).
    public var int64: Int64? { integer(Int64.self) }

    /// The number as an unsigned 64-bit integer; nil if negative, fractional or out of range.
    public var uint64: UInt64? { integer(UInt64.self) }

    /// The number as a signed 32-bit integer; nil if fractional or out of range.
    public var int32: Int32? { integer(Int32.self) }

    /// The number as an unsigned 32-bit integer; nil if negative, fractional or out of range.
    public var uint32: UInt32? { integer(UInt32.self) }

    /// The number as a Double (may round).
    public var double: Double? {
        guard case .number(let literal) = self else { return nil }
        return Double(literal)
    }

    /// A number value holding an integer exactly.
    public static func int(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    /// The number as an integer of type `T`, exactly or not at all.
    public func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        guard case .number(let literal) = self else { return nil }
        return JSONInteger.parse(literal, as: T.self)
    }
}

/// Exact conversion of a JSON number literal to a fixed-width integer.
enum JSONInteger {
    static func parse<T: FixedWidthInteger>(_ literal: String, as: T.Type) -> T? {
        var utf8 = literal.utf8[...]
        let isNegative = utf8.first == UInt8(ascii: "-")
        if isNegative { utf8 = utf8.dropFirst() }
        if let plain = accumulate(utf8, isNegative: isNegative, as: T.self) { return plain }
        return parseScientific(utf8, isNegative: isNegative, as: T.self)
    }

    /// Plain digits only; nil on any other character or overflow.
    private static func accumulate<T: FixedWidthInteger>(
        _ digits: some Collection<UInt8>, isNegative: Bool, as: T.Type
    ) -> T? {
        guard !digits.isEmpty else { return nil }
        var value: T = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = T(byte - UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            // Accumulate negatively for negative numbers so T.min is reachable.
            let (next, overflow2) = isNegative
                ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = next
        }
        return value
    }

    /// "1.5e1" or "1e3": integral only if the exponent shifts every nonzero fraction digit into place.
    private static func parseScientific<T: FixedWidthInteger>(
        _ utf8: Substring.UTF8View, isNegative: Bool, as: T.Type
    ) -> T? {
        var digits: [UInt8] = []
        var exponent = 0
        var iterator = utf8.makeIterator()
        var inFraction = false
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits.append(byte)
                if inFraction { exponent -= 1 }
            case UInt8(ascii: "."):
                inFraction = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                var rest: [UInt8] = []
                while let next = iterator.next() { rest.append(next) }
                var sign = 1
                if rest.first == UInt8(ascii: "+") { rest.removeFirst() }
                else if rest.first == UInt8(ascii: "-") { sign = -1; rest.removeFirst() }
                // A huge exponent can only yield zero, a fraction or an overflow; cap it to keep work bounded.
                guard let written = accumulate(rest, isNegative: false, as: Int.self), written < 10_000 else {
                    return digits.allSatisfy({ $0 == UInt8(ascii: "0") }) ? 0 : nil
                }
                exponent += sign * written
            default:
                return nil
            }
        }
        if exponent < 0 {
            let dropped = digits.suffix(-exponent)
            guard dropped.count == -exponent, dropped.allSatisfy({ $0 == UInt8(ascii: "0") }) else {
                return digits.allSatisfy({ $0 == UInt8(ascii: "0") }) ? 0 : nil
            }
            digits.removeLast(-exponent)
        } else if exponent > 0 {
            if digits.allSatisfy({ $0 == UInt8(ascii: "0") }) { return 0 }
            guard exponent <= 40 else { return nil }
            digits.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: exponent))
        }
        if digits.isEmpty { return 0 }
        return accumulate(digits, isNegative: isNegative, as: T.self)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .number(String(value)) }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Keeps the keys in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// Keeps the keys in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }
}

extension JSONObject {
    /// The keys in document order.
    public var keys: [String] { pairs.map(\.key) }

    /// True if the object has no members.
    public var isEmpty: Bool { pairs.isEmpty }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text.
    public var description: String { JSON.serialize(self) }
}
