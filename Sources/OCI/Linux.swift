import JSON

/// config.json `linux`: namespaces, id mappings, devices, security and isolation settings.
public struct Linux: Sendable, Equatable {
    public var namespaces: [LinuxNamespace] = []
    public var uidMappings: [LinuxIDMapping] = []
    public var gidMappings: [LinuxIDMapping] = []
    /// Offsets for the time namespace, keyed "monotonic" or "boottime".
    public var timeOffsets: [String: LinuxTimeOffset] = [:]
    /// Device nodes to create in the container.
    public var devices: [LinuxDevice] = []
    /// Network devices to move into the container, keyed by host name.
    public var netDevices: [String: LinuxNetDevice] = [:]
    public var cgroupsPath: String?
    /// `linux.resources`, kept raw until the cgroup drivers exist.
    public var resources: JSONValue?
    public var sysctl: [String: String] = [:]
    public var maskedPaths: [String] = []
    public var readonlyPaths: [String] = []
    /// Propagation of the rootfs mount: [r]private, [r]shared, [r]slave or [r]unbindable.
    public var rootfsPropagation: String?
    public var mountLabel: String?
    public var seccomp: LinuxSeccomp?
    public var personality: LinuxPersonality?
    /// Kept raw; Intel RDT is not supported yet.
    public var intelRdt: JSONValue?
    /// Kept raw; set_mempolicy is not supported yet.
    public var memoryPolicy: JSONValue?

    /// No Linux settings.
    public init() {}

    /// Decodes `linux`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        namespaces = try reader.optional("namespaces", Decode.array(of: LinuxNamespace.init(json:))) ?? []
        uidMappings = try reader.optional("uidMappings", Decode.array(of: LinuxIDMapping.init(json:))) ?? []
        gidMappings = try reader.optional("gidMappings", Decode.array(of: LinuxIDMapping.init(json:))) ?? []
        timeOffsets = try reader.optional("timeOffsets", Decode.map(of: LinuxTimeOffset.init(json:))) ?? [:]
        devices = try reader.optional("devices", Decode.array(of: LinuxDevice.init(json:))) ?? []
        netDevices = try reader.optional("netDevices", Decode.map(of: LinuxNetDevice.init(json:))) ?? [:]
        cgroupsPath = try reader.optional("cgroupsPath", Decode.string)
        resources = try reader.optional("resources", Decode.object)
        sysctl = try reader.optional("sysctl", Decode.stringMap) ?? [:]
        maskedPaths = try reader.optional("maskedPaths", Decode.strings) ?? []
        readonlyPaths = try reader.optional("readonlyPaths", Decode.strings) ?? []
        rootfsPropagation = try reader.optional("rootfsPropagation", Decode.string)
        mountLabel = try reader.optional("mountLabel", Decode.string)
        seccomp = try reader.optional("seccomp", LinuxSeccomp.init(json:))
        personality = try reader.optional("personality", LinuxPersonality.init(json:))
        intelRdt = try reader.optional("intelRdt", Decode.object)
        memoryPolicy = try reader.optional("memoryPolicy", Decode.object)
    }

    /// The namespace entry of `kind`, if the config asks for one.
    public func namespace(_ kind: NamespaceKind) -> LinuxNamespace? {
        namespaces.first { $0.type == kind.rawValue }
    }

    /// True when `resources` asks for anything besides device rules. Those need cgroup
    /// limits, which husk does not apply yet, so such configs must be refused rather than run unlimited.
    public var requestsResourceLimits: Bool {
        guard case .object(let object) = resources else { return false }
        return object.pairs.contains { $0.key != "devices" && !Linux.isUnset($0.value) }
    }

    /// Null, {} and [] (recursively) set nothing; engines often send empty sections.
    static func isUnset(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return true
        case .array(let elements): return elements.isEmpty
        case .object(let object): return object.pairs.allSatisfy { isUnset($0.value) }
        default: return false
        }
    }
}

/// The namespace types runtime-spec defines for Linux.
public enum NamespaceKind: String, Sendable, CaseIterable {
    case pid, network, mount, ipc, uts, user, cgroup, time
}

/// One namespace to create, or to join when `path` is set.
public struct LinuxNamespace: Sendable, Equatable {
    /// One of `NamespaceKind`'s raw values.
    public var type: String
    /// A /proc/PID/ns/* or bind-mounted namespace file to join.
    public var path: String?

    /// A namespace of `kind`, joined at `path` if given.
    public init(_ kind: NamespaceKind, path: String? = nil) {
        type = kind.rawValue
        self.path = path
    }

    /// The typed kind, nil for an unknown type (validation reports it).
    public var kind: NamespaceKind? { NamespaceKind(rawValue: type) }

    /// Decodes one element of `linux.namespaces`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        type = try reader.required("type", Decode.string)
        path = try reader.optional("path", Decode.string)
    }
}

/// One line of /proc/PID/uid_map or gid_map.
public struct LinuxIDMapping: Sendable, Equatable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32

    /// Maps `size` ids starting at `containerID` to ids starting at `hostID`.
    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }

    /// Decodes one mapping.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        containerID = try reader.required("containerID", Decode.uint32)
        hostID = try reader.required("hostID", Decode.uint32)
        size = try reader.required("size", Decode.uint32)
    }
}

/// A clock offset for the time namespace.
public struct LinuxTimeOffset: Sendable, Equatable {
    public var secs: Int64 = 0
    public var nanosecs: UInt32 = 0

    /// An offset of `secs` seconds and `nanosecs` nanoseconds.
    public init(secs: Int64, nanosecs: UInt32) {
        self.secs = secs
        self.nanosecs = nanosecs
    }

    /// Decodes one value of `linux.timeOffsets`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        secs = try reader.optional("secs", Decode.int64) ?? 0
        nanosecs = try reader.optional("nanosecs", Decode.uint32) ?? 0
    }
}

/// A device node to create in the container.
public struct LinuxDevice: Sendable, Equatable {
    /// "c", "b", "u" (unbuffered char) or "p" (fifo).
    public var type: String
    /// Absolute path inside the container.
    public var path: String
    public var major: Int64?
    public var minor: Int64?
    /// Permission bits; nil means 0666.
    public var fileMode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?

    /// A device of `type` at `path`.
    public init(type: String, path: String, major: Int64? = nil, minor: Int64? = nil,
                fileMode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil) {
        self.type = type
        self.path = path
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
    }

    /// Decodes one element of `linux.devices`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        type = try reader.required("type", Decode.string)
        path = try reader.required("path", Decode.string)
        major = try reader.optional("major", Decode.int64)
        minor = try reader.optional("minor", Decode.int64)
        fileMode = try reader.optional("fileMode", Decode.uint32)
        uid = try reader.optional("uid", Decode.uint32)
        gid = try reader.optional("gid", Decode.uint32)
    }
}

/// A host network device to move into the container's network namespace.
public struct LinuxNetDevice: Sendable, Equatable {
    /// The name inside the container; nil keeps the host name.
    public var name: String?

    /// A device renamed to `name` in the container.
    public init(name: String? = nil) { self.name = name }

    /// Decodes one value of `linux.netDevices`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        name = try reader.optional("name", Decode.string)
    }
}

/// The execution domain set with personality(2).
public struct LinuxPersonality: Sendable, Equatable {
    /// "LINUX" or "LINUX32".
    public var domain: String
    public var flags: [String] = []

    /// A personality of `domain`.
    public init(domain: String, flags: [String] = []) {
        self.domain = domain
        self.flags = flags
    }

    /// Decodes `linux.personality`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        domain = try reader.required("domain", Decode.string)
        flags = try reader.optional("flags", Decode.strings) ?? []
    }
}
