import Testing
@testable import JSON

@Suite struct JSONParserTests {
    @Test func parsesScalars() throws {
        #expect(try JSON.parse("null") == .null)
        #expect(try JSON.parse(" true ") == .bool(true))
        #expect(try JSON.parse("false") == .bool(false))
        #expect(try JSON.parse("\"hi\"") == .string("hi"))
        #expect(try JSON.parse("-1.5e+3") == .number("-1.5e+3"))
        #expect(try JSON.parse("0") == .number("0"))
    }

    @Test func keepsObjectKeyOrderAndDuplicates() throws {
        let value = try JSON.parse(#"{"b": 1, "a": 2, "b": 3}"#)
        #expect(value.object?.keys == ["b", "a", "b"])
        #expect(value.object?["b"] == .number("3"))  // last wins, as in Go
    }

    @Test func parsesNestedStructures() throws {
        let value = try JSON.parse(#"{"a":[1,{"b":[]},{}],"c":{"d":null}}"#)
        let expected: JSONValue = ["a": [1, ["b": []], [:]], "c": ["d": .null]]
        #expect(value == expected)
    }

    @Test func acceptsAnyByteCollection() throws {
        let bytes: [UInt8] = Array("[1, 2]".utf8)
        #expect(try JSON.parse(bytes) == [1, 2])
        #expect(try JSON.parse(bytes[1...1]) == 1)  // ArraySlice
        #expect(try JSON.parse(AnyCollection(bytes)) == [1, 2])  // non-contiguous path
    }

    @Test func decodesEscapes() throws {
        let value = try JSON.parse(#""a\"b\\c\/d\be\ff\ng\rh\ti\u0041\u00e9\u4e2d""#)
        #expect(value == .string("a\"b\\c/d\u{8}e\u{c}f\ng\rh\tiAé中"))
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try JSON.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSON.parse(#""x\uD834\uDD1Ey""#) == .string("x𝄞y"))
    }

    @Test func keepsRawUTF8() throws {
        #expect(try JSON.parse("\"héllo 世界 😀\"") == .string("héllo 世界 😀"))
    }

    @Test func keepsBigIntegersExactly() throws {
        let value = try JSON.parse("[18446744073709551615, -9223372036854775808, 9223372036854775807]")
        let elements = try #require(value.array)
        #expect(elements[0] == .number("18446744073709551615"))
        #expect(elements[0].uint64 == UInt64.max)
        #expect(elements[0].int64 == nil)
        #expect(elements[1].int64 == Int64.min)
        #expect(elements[1].uint64 == nil)
        #expect(elements[2].int64 == Int64.max)
    }

    @Test func acceptsMaximumDepth() throws {
        let text = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        #expect(throws: Never.self) { try JSON.parse(text) }
    }

    @Test func rejectsDeeperNesting() {
        let depth = JSON.maxDepth + 1
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let error = parseError(text)
        #expect(error?.kind == .tooDeep)
        #expect(error?.description == "nesting deeper than 512 levels at line 1, column 513")
    }

    @Test func rejectsHugeNestingWithoutCrashing() {
        let text = String(repeating: "{\"a\":", count: 100_000)
        #expect(parseError(text)?.kind == .tooDeep)
    }
}

/// The error `JSON.parse` throws for `text`, or nil if it parses.
func parseError(_ text: String) -> JSONError? {
    do {
        _ = try JSON.parse(text)
        return nil
    } catch {
        return error
    }
}
