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

    /// The number as an integer of type `T` (at most 64 bits), exactly or not at all.
    /// Inlinable so each caller narrows with its own specialisation (see JSONInteger).
    @inlinable
    public func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        guard case .number(let literal) = self, let (negative, magnitude) = JSONInteger.signAndMagnitude(literal) else { return nil }
        if !negative { return T(exactly: magnitude) }
        if magnitude == 0 { return 0 }
        // -(m-1)-1 reaches T.min, whose magnitude T cannot hold.
        guard T.isSigned, let below = T(exactly: magnitude - 1) else { return nil }
        return 0 - below - 1
    }
}

/// Exact conversion of a JSON number literal to an integer's sign and magnitude. Concrete
/// code on purpose: the generic parser it replaces (over `some Collection<UInt8>`, called
/// across modules, so never specialised) spent ~0.4 ms of every husk run in the Swift
/// runtime's one-time witness-table and associated-type lookups.
@usableFromInline
enum JSONInteger {
    /// nil if the literal is not integral ("1.5") or its magnitude exceeds 64 bits;
    /// "1.5e1" and "1e3" are integers.
    @usableFromInline
    static func signAndMagnitude(_ literal: String) -> (negative: Bool, magnitude: UInt64)? {
        var bytes = Array(literal.utf8)[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        guard let magnitude = digitsValue(bytes) ?? scientific(bytes) else { return nil }
        return (negative, magnitude)
    }

    /// Plain digits only; nil on any other character or beyond UInt64.
    private static func digitsValue(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = next
        }
        return value
    }

    /// "1.5e1" or "1e3": integral only if the exponent shifts every nonzero fraction digit into place.
    private static func scientific(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        var digits: [UInt8] = []
        var exponent = 0
        var index = bytes.startIndex
        var inFraction = false
        while index < bytes.endIndex {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits.append(byte)
                if inFraction { exponent -= 1 }
            case UInt8(ascii: "."):
                inFraction = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                var rest = bytes[index...]
                index = bytes.endIndex
                var sign = 1
                if rest.first == UInt8(ascii: "+") { rest = rest.dropFirst() }
                else if rest.first == UInt8(ascii: "-") { sign = -1; rest = rest.dropFirst() }
                // A huge exponent can only yield zero, a fraction or an overflow; cap it to keep work bounded.
                guard let written = digitsValue(rest), written < 10_000 else {
                    return digits.allSatisfy({ $0 == UInt8(ascii: "0") }) ? 0 : nil
                }
                exponent += sign * Int(written)
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
        return digitsValue(digits[...])
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
