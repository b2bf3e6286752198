/// Entry points for reading and writing JSON documents.
public enum JSON {
    /// The deepest nesting of arrays and objects `parse` accepts; deeper input is an error, not a stack overflow.
    public static let maxDepth = 512

    /// Parses one strict RFC 8259 document from UTF-8 bytes.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONError) in try parseBuffer(buffer) }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONError) in try parseBuffer(buffer) }
        }.get()
    }

    /// Parses one strict RFC 8259 document from a string.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(text.utf8)
    }

    private static func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONError) -> JSONValue {
        var parser = JSONParser(buffer)
        return try parser.parseDocument()
    }
}

/// ASCII bytes the grammar cares about, named so the switch statements read like the RFC.
private enum ASCII {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let lowerE = UInt8(ascii: "e")
    static let upperE = UInt8(ascii: "E")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
}

/// A recursive-descent parser over a contiguous UTF-8 buffer.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    /// Reused for strings that contain escapes, so each one does not allocate a fresh buffer.
    var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw error(.trailingCharacters, "unexpected \(describeByte(at: index)) after the JSON value")
        }
        return value
    }

    // MARK: Values

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard index < bytes.count else { throw endOfInput() }
        switch bytes[index] {
        case ASCII.openBrace: return try parseObject()
        case ASCII.openBracket: return try parseArray()
        case ASCII.quote: return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case ASCII.minus, ASCII.zero...ASCII.nine: return .number(try parseNumber())
        default: throw error(.unexpectedCharacter, "unexpected \(describeByte(at: index)), expected a value")
        }
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        try enterNesting()
        index += 1  // '{'
        var pairs: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == ASCII.closeBrace {
            index += 1
            depth -= 1
            return .object(JSONObject(pairs))
        }
        var isFirst = true
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw endOfInput() }
            guard bytes[index] == ASCII.quote else {
                // After a comma only a key may follow: this is where trailing commas are caught.
                throw error(.expectedKey, isFirst ? "expected a string key or '}'" : "expected a string key after ','")
            }
            isFirst = false
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count else { throw endOfInput() }
            guard bytes[index] == ASCII.colon else { throw error(.expectedColon, "expected ':' after object key") }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            pairs.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw endOfInput() }
            switch bytes[index] {
            case ASCII.comma:
                index += 1
            case ASCII.closeBrace:
                index += 1
                depth -= 1
                return .object(JSONObject(pairs))
            default:
                throw error(.expectedCommaOrBrace, "expected ',' or '}' after object member")
            }
        }
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        try enterNesting()
        index += 1  // '['
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == ASCII.closeBracket {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw endOfInput() }
            switch bytes[index] {
            case ASCII.comma:
                index += 1
            case ASCII.closeBracket:
                index += 1
                depth -= 1
                return .array(elements)
            default:
                throw error(.expectedCommaOrBracket, "expected ',' or ']' after array element")
            }
        }
    }

    mutating func enterNesting() throws(JSONError) {
        depth += 1
        if depth > JSON.maxDepth {
            throw error(.tooDeep, "nesting deeper than \(JSON.maxDepth) levels")
        }
    }

    mutating func parseLiteral(_ word: StaticString) throws(JSONError) {
        let start = index
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in expected {
            guard index < bytes.count else { throw endOfInput() }
            guard bytes[index] == byte else {
                throw error(.invalidLiteral, "invalid literal, expected '\(word)'", at: start)
            }
            index += 1
        }
    }

    // MARK: Numbers

    /// Validates the RFC 8259 number grammar and returns the literal text unchanged.
    mutating func parseNumber() throws(JSONError) -> String {
        let start = index
        if bytes[index] == ASCII.minus { index += 1 }
        guard index < bytes.count else { throw endOfInput() }
        if bytes[index] == ASCII.zero {
            index += 1
            if isDigit(at: index) {
                throw error(.invalidNumber, "invalid number: leading zeros are not allowed", at: start)
            }
        } else if isDigit(at: index) {
            skipDigits()
        } else {
            throw error(.invalidNumber, "invalid number: expected a digit after '-'")
        }
        if index < bytes.count, bytes[index] == ASCII.dot {
            index += 1
            guard index < bytes.count else { throw endOfInput() }
            guard isDigit(at: index) else {
                throw error(.invalidNumber, "invalid number: expected a digit after '.'")
            }
            skipDigits()
        }
        if index < bytes.count, bytes[index] == ASCII.lowerE || bytes[index] == ASCII.upperE {
            index += 1
            if index < bytes.count, bytes[index] == ASCII.plus || bytes[index] == ASCII.minus { index += 1 }
            guard index < bytes.count else { throw endOfInput() }
            guard isDigit(at: index) else {
                throw error(.invalidNumber, "invalid number: expected a digit in the exponent")
            }
            skipDigits()
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    func isDigit(at position: Int) -> Bool {
        position < bytes.count && bytes[position] >= ASCII.zero && bytes[position] <= ASCII.nine
    }

    mutating func skipDigits() {
        while isDigit(at: index) { index += 1 }
    }

    // MARK: Strings

    mutating func parseString() throws(JSONError) -> String {
        index += 1  // opening quote
        let start = index
        var isASCII = true
        // Fast path: most strings have no escapes and can be copied straight out of the buffer.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.quote {
                let text = try makeString(UnsafeBufferPointer(rebasing: bytes[start..<index]), isASCII: isASCII, start: start)
                index += 1
                return text
            }
            if byte == ASCII.backslash { return try parseEscapedString(from: start) }
            if byte < 0x20 { throw controlCharacter() }
            if byte >= 0x80 { isASCII = false }
            index += 1
        }
        throw endOfInput()
    }

    /// The slow path: copies the string into `scratch`, decoding escapes on the way.
    mutating func parseEscapedString(from start: Int) throws(JSONError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        var isASCII = true
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case ASCII.quote:
                index += 1
                let decoded = scratch.withUnsafeBufferPointer { buffer in
                    Result { () throws(JSONError) in try makeString(buffer, isASCII: isASCII, start: start) }
                }
                return try decoded.get()
            case ASCII.backslash:
                try parseEscape(isASCII: &isASCII)
            case 0..<0x20:
                throw controlCharacter()
            default:
                if byte >= 0x80 { isASCII = false }
                scratch.append(byte)
                index += 1
            }
        }
        throw endOfInput()
    }

    mutating func parseEscape(isASCII: inout Bool) throws(JSONError) {
        let escapeStart = index
        index += 1  // backslash
        guard index < bytes.count else { throw endOfInput() }
        let letter = bytes[index]
        index += 1
        switch letter {
        case ASCII.quote, ASCII.backslash, ASCII.slash: scratch.append(letter)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let scalar = try parseUnicodeEscape(escapeStart: escapeStart)
            if scalar.value >= 0x80 { isASCII = false }
            scratch.append(contentsOf: UTF8.encode(scalar)!)
        default:
            throw error(.invalidEscape, "invalid escape sequence '\\\(describeScalar(letter))' in string", at: escapeStart)
        }
    }

    /// Reads the hex digits after "\u" (and a second escape for a surrogate pair).
    mutating func parseUnicodeEscape(escapeStart: Int) throws(JSONError) -> Unicode.Scalar {
        let high = try parseHex4(escapeStart: escapeStart)
        switch high {
        case 0xD800...0xDBFF:
            guard index + 1 < bytes.count, bytes[index] == ASCII.backslash, bytes[index + 1] == UInt8(ascii: "u") else {
                if index >= bytes.count { throw endOfInput() }
                throw error(.unpairedSurrogate, "unpaired surrogate in \\u escape", at: escapeStart)
            }
            let lowStart = index
            index += 2
            let low = try parseHex4(escapeStart: lowStart)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error(.unpairedSurrogate, "unpaired surrogate in \\u escape", at: escapeStart)
            }
            let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            return Unicode.Scalar(value)!
        case 0xDC00...0xDFFF:
            throw error(.unpairedSurrogate, "unpaired surrogate in \\u escape", at: escapeStart)
        default:
            return Unicode.Scalar(high)!
        }
    }

    mutating func parseHex4(escapeStart: Int) throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw endOfInput() }
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case ASCII.zero...ASCII.nine: digit = byte - ASCII.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw error(.invalidUnicodeEscape, "invalid \\u escape: expected 4 hex digits", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    func makeString(_ utf8: UnsafeBufferPointer<UInt8>, isASCII: Bool, start: Int) throws(JSONError) -> String {
        if isASCII { return String(decoding: utf8, as: UTF8.self) }
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw error(.invalidUTF8, "invalid UTF-8 in string", at: start - 1)
        }
        return text
    }

    // MARK: Whitespace and errors

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case ASCII.space, ASCII.tab, ASCII.newline, ASCII.carriageReturn: index += 1
            default: return
            }
        }
    }

    func endOfInput() -> JSONError {
        error(.unexpectedEndOfInput, "unexpected end of input", at: bytes.count)
    }

    func controlCharacter() -> JSONError {
        error(.controlCharacterInString, "unescaped control character U+00\(hex(bytes[index])) in string")
    }

    func error(_ kind: JSONError.Kind, _ reason: String, at offset: Int? = nil) -> JSONError {
        let offset = offset ?? index
        var line = 1
        var column = 1
        for byte in UnsafeBufferPointer(rebasing: bytes[0..<min(offset, bytes.count)]) {
            if byte == ASCII.newline {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // count scalars, not UTF-8 continuation bytes
                column += 1
            }
        }
        return JSONError(kind: kind, reason: reason, offset: offset, line: line, column: column)
    }

    func describeByte(at position: Int) -> String {
        let byte = bytes[position]
        if byte >= 0x20 && byte < 0x7F { return "character '\(Character(Unicode.Scalar(byte)))'" }
        return byte < 0x20 ? "character U+00\(hex(byte))" : "byte 0x\(hex(byte))"
    }

    func describeScalar(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : "0x" + hex(byte)
    }

    /// Two uppercase hex digits.
    func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0" + digits : digits
    }
}
