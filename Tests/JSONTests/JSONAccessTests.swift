import Testing
import JSON

@Suite struct JSONAccessTests {
    @Test func typedAccessorsMatchTheirCase() {
        let value: JSONValue = ["s": "x", "b": true, "a": [1], "o": ["k": .null], "n": .null]
        let object = value.object
        #expect(object?["s"]?.string == "x")
        #expect(object?["s"]?.bool == nil)
        #expect(object?["b"]?.bool == true)
        #expect(object?["a"]?.array == [1])
        #expect(object?["o"]?.object?["k"]?.isNull == true)
        #expect(object?["n"]?.isNull == true)
        #expect(object?["s"]?.isNull == false)
        #expect(object?["missing"] == nil)
    }

    @Test func integerAccessorsRespectRanges() {
        #expect(JSONValue.number("4294967295").uint32 == UInt32.max)
        #expect(JSONValue.number("4294967296").uint32 == nil)
        #expect(JSONValue.number("-1").uint32 == nil)
        #expect(JSONValue.number("-2147483648").int32 == Int32.min)
        #expect(JSONValue.number("2147483648").int32 == nil)
        #expect(JSONValue.number("-0").uint64 == 0)
        #expect(JSONValue.number("18446744073709551616").uint64 == nil)
        #expect(JSONValue.number("-9223372036854775809").int64 == nil)
        #expect(JSONValue.number("-9223372036854775808").int64 == Int64.min)
        #expect(JSONValue.number("18446744073709551615").uint64 == UInt64.max)
        #expect(JSONValue.number("-2147483649").int32 == nil)
        #expect(JSONValue.number("-7").integer(Int16.self) == -7)
        #expect(JSONValue.number("-1.5e1").int32 == -15)
        #expect(JSONValue.string("1").int64 == nil)
    }

    @Test func integerAccessorsRejectFractions() {
        #expect(JSONValue.number("1.5").int64 == nil)
        #expect(JSONValue.number("1e-1").int64 == nil)
        #expect(JSONValue.number("100e-5").int64 == nil)
    }

    @Test func integerAccessorsAcceptExactScientificForms() {
        #expect(JSONValue.number("1e3").int64 == 1000)
        #expect(JSONValue.number("1.0").int64 == 1)
        #expect(JSONValue.number("1.50E1").uint32 == 15)
        #expect(JSONValue.number("-2.5e2").int32 == -250)
        #expect(JSONValue.number("1000e-3").int64 == 1)
        #expect(JSONValue.number("0e999999").int64 == 0)
        #expect(JSONValue.number("0.000").uint64 == 0)
        #expect(JSONValue.number("1e19").uint64 == 10_000_000_000_000_000_000)
        #expect(JSONValue.number("1e20").uint64 == nil)
        #expect(JSONValue.number("1e99999999999").int64 == nil)
    }

    @Test func doubleAccessor() {
        #expect(JSONValue.number("-1.5e3").double == -1500)
        #expect(JSONValue.string("1").double == nil)
    }

    @Test func intFactoryKeepsExactText() {
        #expect(JSONValue.int(UInt64.max) == .number("18446744073709551615"))
        #expect(JSONValue.int(Int8(-5)) == .number("-5"))
    }

    @Test func literalsBuildDocuments() {
        let value: JSONValue = ["z": 1, "a": [true, "s"], "m": ["k": false]]
        #expect(value.object?.keys == ["z", "a", "m"])
        #expect(value == .object(JSONObject([
            (key: "z", value: .number("1")),
            (key: "a", value: .array([.bool(true), .string("s")])),
            (key: "m", value: .object(JSONObject([(key: "k", value: .bool(false))]))),
        ])))
    }

    @Test func objectSubscriptSetsAndRemoves() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = 3
        object["c"] = 4
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object["a"] == 3)
    }
}
