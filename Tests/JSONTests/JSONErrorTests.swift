import Testing
import JSON

/// Every error kind, with the position it reports.
@Suite struct JSONErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let input: String
        let kind: JSONError.Kind
        let message: String
        var testDescription: String { input.debugDescription }
    }

    static let cases: [Case] = [
        Case(input: "{\n  \"a\": 1,\n", kind: .unexpectedEndOfInput,
             message: "unexpected end of input at line 3, column 1"),
        Case(input: "", kind: .unexpectedEndOfInput, message: "unexpected end of input at line 1, column 1"),
        Case(input: "{\n  \"a\": 1 \"b\": 2}", kind: .expectedCommaOrBrace,
             message: "expected ',' or '}' after object member at line 2, column 10"),
        Case(input: "[1 2]", kind: .expectedCommaOrBracket,
             message: "expected ',' or ']' after array element at line 1, column 4"),
        Case(input: "{\"a\" 1}", kind: .expectedColon, message: "expected ':' after object key at line 1, column 6"),
        Case(input: "{1: 2}", kind: .expectedKey, message: "expected a string key or '}' at line 1, column 2"),
        Case(input: "{\"a\": 1,}", kind: .expectedKey,
             message: "expected a string key after ',' at line 1, column 9"),
        Case(input: "[1,]", kind: .unexpectedCharacter,
             message: "unexpected character ']', expected a value at line 1, column 4"),
        Case(input: "[1] // comment", kind: .trailingCharacters,
             message: "unexpected character '/' after the JSON value at line 1, column 5"),
        Case(input: "/* c */ 1", kind: .unexpectedCharacter,
             message: "unexpected character '/', expected a value at line 1, column 1"),
        Case(input: "{} x", kind: .trailingCharacters,
             message: "unexpected character 'x' after the JSON value at line 1, column 4"),
        Case(input: "tru", kind: .unexpectedEndOfInput, message: "unexpected end of input at line 1, column 4"),
        Case(input: "[nul1]", kind: .invalidLiteral, message: "invalid literal, expected 'null' at line 1, column 2"),
        Case(input: "[True]", kind: .unexpectedCharacter,
             message: "unexpected character 'T', expected a value at line 1, column 2"),
        Case(input: "01", kind: .invalidNumber,
             message: "invalid number: leading zeros are not allowed at line 1, column 1"),
        Case(input: "-a", kind: .invalidNumber,
             message: "invalid number: expected a digit after '-' at line 1, column 2"),
        Case(input: "1.e5", kind: .invalidNumber,
             message: "invalid number: expected a digit after '.' at line 1, column 3"),
        Case(input: "1e+", kind: .unexpectedEndOfInput, message: "unexpected end of input at line 1, column 4"),
        Case(input: "[1e+x]", kind: .invalidNumber,
             message: "invalid number: expected a digit in the exponent at line 1, column 5"),
        Case(input: "+1", kind: .unexpectedCharacter,
             message: "unexpected character '+', expected a value at line 1, column 1"),
        Case(input: ".5", kind: .unexpectedCharacter,
             message: "unexpected character '.', expected a value at line 1, column 1"),
        Case(input: "\"a\\x\"", kind: .invalidEscape,
             message: "invalid escape sequence '\\x' in string at line 1, column 3"),
        Case(input: "\"\\u12G4\"", kind: .invalidUnicodeEscape,
             message: "invalid \\u escape: expected 4 hex digits at line 1, column 2"),
        Case(input: "\"\\ud83d\"", kind: .unpairedSurrogate,
             message: "unpaired surrogate in \\u escape at line 1, column 2"),
        Case(input: "\"\\ude00\"", kind: .unpairedSurrogate,
             message: "unpaired surrogate in \\u escape at line 1, column 2"),
        Case(input: "\"\\ud83d\\u0041\"", kind: .unpairedSurrogate,
             message: "unpaired surrogate in \\u escape at line 1, column 2"),
        Case(input: "[\"a\tb\"]", kind: .controlCharacterInString,
             message: "unescaped control character U+0009 in string at line 1, column 4"),
        Case(input: "\"é\n", kind: .controlCharacterInString,
             message: "unescaped control character U+000A in string at line 1, column 3"),
        Case(input: "\"abc", kind: .unexpectedEndOfInput, message: "unexpected end of input at line 1, column 5"),
        Case(input: "'a'", kind: .unexpectedCharacter,
             message: "unexpected character ''', expected a value at line 1, column 1"),
    ]

    @Test(arguments: cases) func reportsKindAndPosition(_ example: Case) {
        let error = parseError(example.input)
        #expect(error?.kind == example.kind)
        #expect(error?.description == example.message)
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0x61, 0xFF, 0x22]
        #expect(throws: JSONError.self) { try JSON.parse(bytes) }
        do {
            _ = try JSON.parse(bytes)
        } catch {
            #expect(error.kind == .invalidUTF8)
            #expect(error.offset == 0)
        }
    }

    @Test func rejectsInvalidUTF8AfterEscape() {
        let bytes: [UInt8] = [0x22, 0x5C, 0x6E, 0xC3, 0x22]
        #expect { try JSON.parse(bytes) } throws: { ($0 as? JSONError)?.kind == .invalidUTF8 }
    }

    @Test func reportsOffsetLineAndColumn() throws {
        let error = try #require(parseError("{\n  \"a\": [1,\n    2,,\n]}"))
        #expect(error.line == 3)
        #expect(error.column == 7)
        #expect(error.offset == 19)
    }

    @Test func countsColumnsInScalars() throws {
        let error = try #require(parseError("[\"é😀\" x]"))
        #expect(error.column == 7)
    }
}
