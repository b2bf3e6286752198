/// A JSON syntax error with the position where it was detected.
public struct JSONError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, independent of where.
    public enum Kind: Sendable, Equatable {
        case unexpectedEndOfInput
        case unexpectedCharacter
        case invalidLiteral
        case expectedColon
        case expectedCommaOrBrace
        case expectedCommaOrBracket
        case expectedKey
        case invalidNumber
        case invalidEscape
        case invalidUnicodeEscape
        case unpairedSurrogate
        case controlCharacterInString
        case invalidUTF8
        case tooDeep
        case trailingCharacters
    }

    /// The kind of error.
    public let kind: Kind
    /// The error message without the position, e.g. "expected ':' after object key".
    public let reason: String
    /// Zero-based byte offset into the input.
    public let offset: Int
    /// One-based line number.
    public let line: Int
    /// One-based column, counted in Unicode scalars.
    public let column: Int

    /// Creates an error; the parser computes line and column from `offset`.
    public init(kind: Kind, reason: String, offset: Int, line: Int, column: Int) {
        self.kind = kind
        self.reason = reason
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// E.g. "unexpected end of input at line 3, column 1".
    public var description: String { "\(reason) at line \(line), column \(column)" }
}
