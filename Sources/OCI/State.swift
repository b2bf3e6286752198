import JSON

/// The OCI state of a container, as `husk state` prints it and state.json stores it.
public struct State: Sendable, Equatable {
    /// The lifecycle states runtime-spec defines.
    public enum Status: String, Sendable, CaseIterable {
        case creating, created, running, stopped, paused
    }

    public var ociVersion: String
    public var id: String
    public var status: Status
    /// The container's init process on the host; required while created or running.
    public var pid: Int32?
    /// Absolute path of the bundle directory.
    public var bundle: String
    public var annotations: [String: String] = [:]

    /// A state with the given fields.
    public init(ociVersion: String = OCIVersion.current, id: String, status: Status, pid: Int32?,
                bundle: String, annotations: [String: String] = [:]) {
        self.ociVersion = ociVersion
        self.id = id
        self.status = status
        self.pid = pid
        self.bundle = bundle
        self.annotations = annotations
    }

    /// Decodes a state document; errors say "state.json".
    public init(json: JSONValue) throws(SpecError) {
        do {
            let reader = try ObjectReader(json)
            ociVersion = try reader.required("ociVersion", Decode.string)
            id = try reader.required("id", Decode.string)
            status = try reader.required("status", State.decodeStatus)
            pid = try reader.optional("pid", Decode.int32)
            bundle = try reader.required("bundle", Decode.string)
            annotations = try reader.optional("annotations", Decode.stringMap) ?? [:]
        } catch {
            var error = error
            error.document = "state.json"
            throw error
        }
    }

    /// The state document in the field order of runtime-spec's Go types.
    public var json: JSONValue {
        var object: JSONObject = ["ociVersion": .string(ociVersion), "id": .string(id), "status": .string(status.rawValue)]
        if let pid { object["pid"] = .int(pid) }
        object["bundle"] = .string(bundle)
        if !annotations.isEmpty { object["annotations"] = Encode.stringMap(annotations) }
        return .object(object)
    }

    private static func decodeStatus(_ value: JSONValue) throws(SpecError) -> Status {
        let text = try Decode.string(value)
        guard let status = Status(rawValue: text) else {
            let names = Status.allCases.map(\.rawValue).joined(separator: ", ")
            throw SpecError(.invalid("unknown status \(quoted(text)), expected one of \(names)"))
        }
        return status
    }
}
