import Testing
import JSON

@Suite struct JSONWriterTests {
    @Test func writesCompact() {
        let value: JSONValue = ["b": [1, true, .null], "a": "x", "e": [:], "f": []]
        #expect(JSON.serialize(value) == #"{"b":[1,true,null],"a":"x","e":{},"f":[]}"#)
    }

    @Test func writesPrettyLikeGoMarshalIndent() {
        let value: JSONValue = ["ociVersion": "1.2.0", "process": ["args": ["sh"], "env": []], "root": [:]]
        let expected = """
            {
              "ociVersion": "1.2.0",
              "process": {
                "args": [
                  "sh"
                ],
                "env": []
              },
              "root": {}
            }
            """
        #expect(JSON.serialize(value, pretty: true) == expected)
    }

    @Test func escapesOnlyWhatIsRequired() {
        let value = JSONValue.string("q\"b\\s/n\nr\rt\tb\u{8}f\u{c}z\u{0}u\u{1f}é😀")
        #expect(JSON.serialize(value) == #""q\"b\\s/n\nr\rt\tb\bf\fz\u0000u\u001fé😀""#)
    }

    @Test func roundTripsStringsThroughTheParser() throws {
        let samples = ["", "plain", "\u{0}\u{1}\u{7f}", "\"\\", "😀 中 é", "\u{2028}"]
        for sample in samples {
            #expect(try JSON.parse(JSON.serialize(.string(sample))) == .string(sample))
        }
    }

    @Test func roundTripsDocuments() throws {
        let text = #"{"a":[1,-2.5e10,18446744073709551615],"b":{"c":null,"d":false},"e":"\u00e9\n"}"#
        let value = try JSON.parse(text)
        #expect(try JSON.parse(JSON.serialize(value)) == value)
        #expect(try JSON.parse(JSON.serialize(value, pretty: true)) == value)
        #expect(JSON.serialize(value) == #"{"a":[1,-2.5e10,18446744073709551615],"b":{"c":null,"d":false},"e":"é\n"}"#)
    }

    @Test func serializeBytesMatchesString() {
        let value: JSONValue = ["k": ["v", 1]]
        #expect(JSON.serializeBytes(value, pretty: true) == Array(JSON.serialize(value, pretty: true).utf8))
    }
}
