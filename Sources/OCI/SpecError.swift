import JSON

/// An error in config.json (or state.json, process.json) that names the offending field.
public struct SpecError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong with the field.
    public enum Problem: Sendable, Equatable {
        /// The document is not valid JSON.
        case invalidJSON(JSONError)
        /// The field has another JSON type, or a number that does not fit.
        case wrongType(expected: String, found: String)
        /// A required field is absent or null.
        case missing
        /// The field is well-typed but its value breaks a rule of the spec.
        case invalid(String)
    }

    /// The document the error is about, used as the message prefix.
    public var document: String
    /// The field, outermost first; empty for the document itself.
    public var path: [FieldPathComponent]
    /// What is wrong.
    public var problem: Problem

    /// Creates an error about the field at `path`.
    public init(path: [FieldPathComponent] = [], _ problem: Problem, document: String = "config.json") {
        self.document = document
        self.path = path
        self.problem = problem
    }

    /// The field as written in messages, e.g. `mounts[2].destination` or `linux.sysctl["net.ipv4.ip_forward"]`.
    public var fieldPath: String { FieldPathComponent.render(path) }

    /// E.g. `config.json: process.user.uid: expected an unsigned 32-bit integer, found string "0"`.
    public var description: String {
        let field = path.isEmpty ? "" : "\(fieldPath): "
        switch problem {
        case .invalidJSON(let error):
            return "\(document): invalid JSON at line \(error.line), column \(error.column): \(error.reason)"
        case .wrongType(let expected, let found):
            return "\(document): \(field)expected \(expected), found \(found)"
        case .missing:
            return "\(document): \(field)required field is missing"
        case .invalid(let message):
            return "\(document): \(field)\(message)"
        }
    }

    /// The same error one level further out, as it travels up through the decoders.
    func nested(under component: FieldPathComponent) -> SpecError {
        var copy = self
        copy.path.insert(component, at: 0)
        return copy
    }

    /// A type mismatch for `value`.
    static func wrongType(_ expected: String, _ value: JSONValue) -> SpecError {
        SpecError(.wrongType(expected: expected, found: describe(value)))
    }

    /// How a value is shown after "found": the type, plus the text for strings.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number: return "number"
        case .string(let text): return "string \(quoted(text))"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// One step in a field path: an object key or an array index.
public enum FieldPathComponent: Sendable, Equatable {
    case key(String)
    case index(Int)

    /// Joins components as `a.b[2].c`, bracketing keys that are not plain identifiers.
    public static func render(_ path: [FieldPathComponent]) -> String {
        var text = ""
        for component in path {
            switch component {
            case .index(let position):
                text += "[\(position)]"
            case .key(let key) where isIdentifier(key):
                if !text.isEmpty { text += "." }
                text += key
            case .key(let key):
                text += "[\(quoted(key))]"
            }
        }
        return text
    }

    private static func isIdentifier(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
        }
    }
}

/// A string in JSON quotes, shortened so one bad value cannot flood a message.
func quoted(_ text: String) -> String {
    let limit = 60
    let shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
    return JSON.serialize(.string(shown))
}
