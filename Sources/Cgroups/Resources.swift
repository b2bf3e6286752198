import JSON

/// `linux.resources`, decoded with field paths for errors. Zero/absent means "leave as is", as in runc.
struct Resources: Equatable, Sendable {
    struct Memory: Equatable, Sendable {
        var limit: Int64?
        var reservation: Int64?
        var swap: Int64?
        var kernel: Int64?
        var kernelTCP: Int64?
        var swappiness: UInt64?
        var disableOOMKiller: Bool?
        var useHierarchy: Bool?
        var checkBeforeUpdate: Bool?
    }
    struct CPU: Equatable, Sendable {
        var shares: UInt64?
        var quota: Int64?
        var burst: UInt64?
        var period: UInt64?
        var realtimeRuntime: Int64?
        var realtimePeriod: UInt64?
        var cpus: String?
        var mems: String?
        var idle: Int64?
    }
    struct WeightDevice: Equatable, Sendable {
        var major: Int64, minor: Int64
        var weight: UInt16?
        var leafWeight: UInt16?
    }
    struct ThrottleDevice: Equatable, Sendable {
        var major: Int64, minor: Int64
        var rate: UInt64
    }
    struct BlockIO: Equatable, Sendable {
        var weight: UInt16?
        var leafWeight: UInt16?
        var weightDevice: [WeightDevice] = []
        var throttleReadBpsDevice: [ThrottleDevice] = []
        var throttleWriteBpsDevice: [ThrottleDevice] = []
        var throttleReadIOPSDevice: [ThrottleDevice] = []
        var throttleWriteIOPSDevice: [ThrottleDevice] = []
    }
    struct Hugepage: Equatable, Sendable {
        var pageSize: String
        var limit: UInt64
    }
    struct Network: Equatable, Sendable {
        var classID: UInt32?
        var priorities: [(name: String, priority: UInt32)] = []
        static func == (a: Network, b: Network) -> Bool {
            a.classID == b.classID && a.priorities.map(\.name) == b.priorities.map(\.name)
                && a.priorities.map(\.priority) == b.priorities.map(\.priority)
        }
    }
    struct DeviceRule: Equatable, Sendable {
        var allow: Bool
        /// "a", "c" or "b".
        var type: String = "a"
        /// nil = any ("*").
        var major: Int64?
        var minor: Int64?
        /// Letters of "rwm".
        var access: String = "rwm"

        /// The v1 devices.allow/deny line, e.g. "c 1:3 rwm" or "a *:* rwm".
        var v1Line: String {
            "\(type) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access)"
        }
    }
    struct RDMA: Equatable, Sendable {
        var device: String
        var hcaHandles: UInt32?
        var hcaObjects: UInt32?
    }

    var memory: Memory?
    var cpu: CPU?
    var pidsLimit: Int64?
    var blockIO: BlockIO?
    var hugepageLimits: [Hugepage] = []
    var network: Network?
    var devices: [DeviceRule]?
    var rdma: [RDMA] = []
    /// `unified` keys and values in document order.
    var unified: [(key: String, value: String)] = []

    static func == (a: Resources, b: Resources) -> Bool {
        a.memory == b.memory && a.cpu == b.cpu && a.pidsLimit == b.pidsLimit && a.blockIO == b.blockIO
            && a.hugepageLimits == b.hugepageLimits && a.network == b.network && a.devices == b.devices
            && a.rdma == b.rdma && a.unified.map(\.key) == b.unified.map(\.key) && a.unified.map(\.value) == b.unified.map(\.value)
    }

    init() {}

    /// Decodes `linux.resources`; nil and null are empty.
    init(json: JSONValue?) throws(CgroupError) {
        guard let json, !json.isNull else { return }
        let r = try Reader(json, "")
        if let m = try r.object("memory") {
            memory = Memory(limit: try m.int64("limit"), reservation: try m.int64("reservation"), swap: try m.int64("swap"),
                            kernel: try m.int64("kernel"), kernelTCP: try m.int64("kernelTCP"),
                            swappiness: try m.uint64("swappiness"), disableOOMKiller: try m.bool("disableOOMKiller"),
                            useHierarchy: try m.bool("useHierarchy"), checkBeforeUpdate: try m.bool("checkBeforeUpdate"))
        }
        if let c = try r.object("cpu") {
            cpu = CPU(shares: try c.uint64("shares"), quota: try c.int64("quota"), burst: try c.uint64("burst"),
                      period: try c.uint64("period"), realtimeRuntime: try c.int64("realtimeRuntime"),
                      realtimePeriod: try c.uint64("realtimePeriod"), cpus: try c.string("cpus"), mems: try c.string("mems"),
                      idle: try c.int64("idle"))
        }
        if let p = try r.object("pids") { pidsLimit = try p.int64("limit") }
        if let b = try r.object("blockIO") {
            var io = BlockIO(weight: try b.uint16("weight"), leafWeight: try b.uint16("leafWeight"))
            io.weightDevice = try b.array("weightDevice") { (d: Reader) throws(CgroupError) in
                WeightDevice(major: try d.required("major", \.int64), minor: try d.required("minor", \.int64),
                             weight: try d.uint16("weight"), leafWeight: try d.uint16("leafWeight"))
            }
            func throttle(_ key: String) throws(CgroupError) -> [ThrottleDevice] {
                try b.array(key) { (d: Reader) throws(CgroupError) in
                    ThrottleDevice(major: try d.required("major", \.int64), minor: try d.required("minor", \.int64),
                                   rate: try d.required("rate", \.uint64))
                }
            }
            io.throttleReadBpsDevice = try throttle("throttleReadBpsDevice")
            io.throttleWriteBpsDevice = try throttle("throttleWriteBpsDevice")
            io.throttleReadIOPSDevice = try throttle("throttleReadIOPSDevice")
            io.throttleWriteIOPSDevice = try throttle("throttleWriteIOPSDevice")
            blockIO = io
        }
        hugepageLimits = try r.array("hugepageLimits") { (h: Reader) throws(CgroupError) in
            let size = try h.required("pageSize", \.string)
            guard !size.isEmpty, !size.contains("/"), !size.contains("."), size.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw CgroupError.field(h.path + ".pageSize", "\"\(size)\" is not a page size like \"2MB\"")
            }
            return Hugepage(pageSize: size, limit: try h.required("limit", \.uint64))
        }
        if let n = try r.object("network") {
            var net = Network(classID: try n.uint32("classID"))
            net.priorities = try n.array("priorities") { (p: Reader) throws(CgroupError) in
                (name: try p.required("name", \.string), priority: try p.required("priority", \.uint32))
            }
            network = net
        }
        if r.has("devices") {
            devices = try r.array("devices") { (d: Reader) throws(CgroupError) in
                var rule = DeviceRule(allow: try d.required("allow", \.bool))
                if let t = try d.string("type") {
                    guard ["a", "c", "b"].contains(t) else { throw CgroupError.field(d.path + ".type", "must be \"a\", \"c\" or \"b\", got \"\(t)\"") }
                    rule.type = t
                }
                rule.major = try d.int64("major").flatMap { $0 < 0 ? nil : $0 }
                rule.minor = try d.int64("minor").flatMap { $0 < 0 ? nil : $0 }
                if let a = try d.string("access") {
                    guard !a.isEmpty ? a.allSatisfy({ "rwm".contains($0) }) : true else {
                        throw CgroupError.field(d.path + ".access", "must be letters of \"rwm\", got \"\(a)\"")
                    }
                    rule.access = a.isEmpty ? "rwm" : a
                }
                return rule
            }
        }
        if let rd = try r.object("rdma") {
            for (name, value) in rd.object.pairs {
                let e = try Reader(value, rd.path + "." + name)
                rdma.append(RDMA(device: name, hcaHandles: try e.uint32("hcaHandles"), hcaObjects: try e.uint32("hcaObjects")))
            }
        }
        if let u = try r.object("unified") {
            for (key, value) in u.object.pairs {
                guard let text = value.string else { throw CgroupError.field("unified.\(key)", "expected a string") }
                unified.append((key, text))
            }
        }
    }
}

/// Typed field access on one JSON object, with `linux.resources.<path>` in every error.
struct Reader {
    let object: JSONObject
    /// Dotted path below linux.resources ("" at the top).
    let path: String

    init(_ value: JSONValue, _ path: String) throws(CgroupError) {
        guard let object = value.object else {
            throw CgroupError.field(path.isEmpty ? "" : path, "expected an object, got \(value)")
        }
        self.object = object
        self.path = path
    }

    func sub(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func has(_ key: String) -> Bool { object[key].map { !$0.isNull } ?? false }

    func value<T>(_ key: String, _ convert: (JSONValue) -> T?, _ kind: String) throws(CgroupError) -> T? {
        guard let v = object[key], !v.isNull else { return nil }
        guard let t = convert(v) else { throw CgroupError.field(sub(key), "expected \(kind), got \(v)") }
        return t
    }

    func required<T>(_ key: String, _ convert: KeyPath<JSONValue, T?>) throws(CgroupError) -> T {
        guard let v = object[key], !v.isNull else { throw CgroupError.field(sub(key), "is required") }
        guard let t = v[keyPath: convert] else { throw CgroupError.field(sub(key), "has the wrong type or range: \(v)") }
        return t
    }

    func int64(_ key: String) throws(CgroupError) -> Int64? { try value(key, { $0.int64 }, "a 64-bit integer") }
    func uint64(_ key: String) throws(CgroupError) -> UInt64? { try value(key, { $0.uint64 }, "a non-negative integer") }
    func uint32(_ key: String) throws(CgroupError) -> UInt32? { try value(key, { $0.uint32 }, "a 32-bit unsigned integer") }
    func uint16(_ key: String) throws(CgroupError) -> UInt16? { try value(key, { $0.integer(UInt16.self) }, "an integer 0-65535") }
    func bool(_ key: String) throws(CgroupError) -> Bool? { try value(key, { $0.bool }, "a boolean") }
    func string(_ key: String) throws(CgroupError) -> String? { try value(key, { $0.string }, "a string") }

    func object(_ key: String) throws(CgroupError) -> Reader? {
        guard let v = object[key], !v.isNull else { return nil }
        return try Reader(v, sub(key))
    }

    func array<T>(_ key: String, _ element: (Reader) throws(CgroupError) -> T) throws(CgroupError) -> [T] {
        guard let v = object[key], !v.isNull else { return [] }
        guard let items = v.array else { throw CgroupError.field(sub(key), "expected an array, got \(v)") }
        var out: [T] = []
        for (i, item) in items.enumerated() { out.append(try element(try Reader(item, "\(sub(key))[\(i)]"))) }
        return out
    }
}

/// Value conversions between runtime-spec (v1 semantics) and cgroup v2 knobs, as crun and runc document them.
enum Convert {
    /// cpu.shares (2–262144) → cpu.weight (1–10000).
    static func cpuWeight(shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        let s = min(max(shares, 2), 262_144)
        return 1 + ((s - 2) * 9999) / 262_142
    }

    /// blkio.weight (10–1000) → io.weight (1–10000).
    static func ioWeight(blkioWeight: UInt16) -> UInt64 {
        if blkioWeight == 0 { return 0 }
        let w = UInt64(min(max(blkioWeight, 10), 1000))
        return 1 + ((w - 10) * 9999) / 990
    }

    /// memory.swap.max from the spec's swap (memory+swap) and limit, as runc's ConvertMemorySwapToCgroupV2Value.
    /// nil = leave unset; -1 = "max".
    static func swapMax(swap: Int64?, limit: Int64?) throws(CgroupError) -> Int64? {
        let memory = limit ?? 0
        let swap = swap ?? 0
        if memory == -1 && swap == 0 { return -1 }
        if swap == -1 { return -1 }
        if swap == 0 { return nil }
        if memory == 0 || memory == -1 {
            throw CgroupError.field("memory.swap", "a swap limit needs a memory limit (linux.resources.memory.limit)")
        }
        if memory < 0 { throw CgroupError.field("memory.limit", "invalid value \(memory)") }
        if swap < memory { throw CgroupError.field("memory.swap", "memory+swap limit \(swap) must be >= memory limit \(memory)") }
        return swap - memory
    }

    /// A byte/count limit as a v2 knob value: negative = "max".
    static func v2Limit(_ value: Int64) -> String { value < 0 ? "max" : String(value) }

    /// cpu.max "quota period"; nil if neither is set.
    static func cpuMax(quota: Int64?, period: UInt64?) -> String? {
        let q = quota ?? 0, p = period ?? 0
        if q == 0 && p == 0 { return nil }
        var text = q > 0 ? String(q) : "max"
        if p != 0 { text += " " + String(p) }
        return text
    }
}
