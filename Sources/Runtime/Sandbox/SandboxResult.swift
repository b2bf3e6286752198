import Cgroups
import JSON

/// What happened in a sandbox, for `--report` (and HuskKit, which reads the same JSON).
public struct SandboxResult: Sendable {
    public var exitCode: Int32 = 0
    public var signal: Int32?
    public var timedOut = false
    public var oomKilled = false
    public var durationMs: Int64 = 0
    public var cpuUserMs: UInt64?
    public var cpuSystemMs: UInt64?
    public var memoryPeakBytes: UInt64?
    /// pids.peak where the kernel keeps it, else the most seen while sampling pids.current.
    public var pidsPeak: UInt64?
    public var ioReadBytes: UInt64?
    public var ioWriteBytes: UInt64?
    /// cgroup2 PSI (cpu, memory, io); empty on cgroup v1, which has none per cgroup.
    public var pressure: [(resource: String, pressure: Pressure)] = []
    public var overlay = true
    public var exportedChanges: String?

    public init() {}

    public func json(_ options: SandboxOptions) -> JSONValue {
        var o = JSONObject()
        o["exitCode"] = .int(exitCode)
        o["signal"] = signal.map { .int($0) } ?? .null
        o["timedOut"] = .bool(timedOut)
        o["oomKilled"] = .bool(oomKilled)
        o["error"] = .null
        o["durationMs"] = .int(durationMs)
        o["cpuUserMs"] = cpuUserMs.map { .int($0) } ?? .null
        o["cpuSystemMs"] = cpuSystemMs.map { .int($0) } ?? .null
        o["memoryPeakBytes"] = memoryPeakBytes.map { .int($0) } ?? .null
        o["pidsPeak"] = pidsPeak.map { .int($0) } ?? .null
        o["ioReadBytes"] = ioReadBytes.map { .int($0) } ?? .null
        o["ioWriteBytes"] = ioWriteBytes.map { .int($0) } ?? .null
        o["pressure"] = pressure.isEmpty ? .null : .object(JSONObject(pressure.map { ($0.resource, Self.json($0.pressure)) }))
        Self.describe(options, into: &o)
        o["overlay"] = .bool(overlay)
        o["exportedChanges"] = exportedChanges.map { .string($0) } ?? .null
        return .object(o)
    }

    /// The report of a sandbox that never ran its command (bad flag, missing rootfs or image,
    /// setup error): exit code 125 (or 126/127) and the message; `options` when they parsed.
    public static func failureJSON(_ message: String, exitCode: Int32, options: SandboxOptions?) -> JSONValue {
        var o: JSONObject = ["exitCode": .int(exitCode), "signal": .null, "timedOut": false, "oomKilled": false,
                             "error": .string(message)]
        if let options { describe(options, into: &o) }
        return .object(o)
    }

    private static func describe(_ options: SandboxOptions, into o: inout JSONObject) {
        o["limits"] = options.limitsJSON
        o["command"] = .array(options.command.map { .string($0) })
        o["rootfs"] = options.layers.isEmpty ? .string(options.rootfs) : .null
        o["image"] = options.imageName.map { .string($0) } ?? .null
    }

    private static func json(_ p: Pressure) -> JSONValue {
        func line(_ l: Pressure.Line) -> JSONValue {
            ["avg10": .number(String(l.avg10)), "avg60": .number(String(l.avg60)), "avg300": .number(String(l.avg300)),
             "totalUs": .int(l.total)]
        }
        return ["some": line(p.some), "full": p.full.map(line) ?? .null]
    }
}
