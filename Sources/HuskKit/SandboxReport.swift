import JSON

/// What happened in a sandbox: `husk sandbox --report`'s JSON, typed.
public struct SandboxReport: Sendable, Equatable {
    /// PSI of one resource: the share of time some (or all) of the sandbox's tasks stalled on it.
    public struct Pressure: Sendable, Equatable {
        public struct Line: Sendable, Equatable {
            public var avg10: Double, avg60: Double, avg300: Double
            public var totalMicroseconds: UInt64
        }
        public var some: Line
        public var full: Line?
    }

    /// The command's exit code; 128+N when killed by signal N; 124 timed out, 123 OOM-killed,
    /// 126/127 cannot be executed / not found.
    public var exitCode: Int32
    /// The signal that ended the command's init, if one did.
    public var signal: Int32?
    public var timedOut: Bool
    public var oomKilled: Bool
    /// Why the command never ran (126/127), from husk.
    public var error: String?
    public var duration: Duration
    public var cpuUser: Duration?
    public var cpuSystem: Duration?
    public var memoryPeakBytes: UInt64?
    public var pidsPeak: UInt64?
    public var ioReadBytes: UInt64?
    public var ioWriteBytes: UInt64?
    /// By resource ("cpu", "memory", "io"); empty where the host's cgroups have no PSI (v1).
    public var pressure: [String: Pressure]
    /// The layer tarball written for `exportChanges`.
    public var exportedChanges: String?

    /// Parses the report (unknown fields are ignored, so newer husks keep working).
    public init(json text: String) throws(SandboxError) {
        let v: JSONValue
        do { v = try JSON.parse(Array(text.utf8)) } catch { throw SandboxError("husk's report is not JSON: \(error)", exitCode: 125) }
        guard let o = v.object, let code = o["exitCode"]?.int32 else {
            throw SandboxError("husk's report has no exitCode: \(text.prefix(200))", exitCode: 125)
        }
        func ms(_ key: String) -> Duration? { o[key]?.int64.map { .milliseconds($0) } }
        exitCode = code
        signal = o["signal"]?.int32
        timedOut = o["timedOut"]?.bool ?? false
        oomKilled = o["oomKilled"]?.bool ?? false
        error = o["error"]?.string
        duration = ms("durationMs") ?? .zero
        cpuUser = ms("cpuUserMs")
        cpuSystem = ms("cpuSystemMs")
        memoryPeakBytes = o["memoryPeakBytes"]?.uint64
        pidsPeak = o["pidsPeak"]?.uint64
        ioReadBytes = o["ioReadBytes"]?.uint64
        ioWriteBytes = o["ioWriteBytes"]?.uint64
        exportedChanges = o["exportedChanges"]?.string
        pressure = [:]
        for (resource, p) in o["pressure"]?.object?.pairs ?? [] {
            func line(_ v: JSONValue?) -> Pressure.Line? {
                guard let l = v?.object else { return nil }
                return Pressure.Line(avg10: l["avg10"]?.double ?? 0, avg60: l["avg60"]?.double ?? 0,
                                     avg300: l["avg300"]?.double ?? 0, totalMicroseconds: l["totalUs"]?.uint64 ?? 0)
            }
            if let some = line(p.object?["some"]) { pressure[resource] = Pressure(some: some, full: line(p.object?["full"])) }
        }
    }
}
