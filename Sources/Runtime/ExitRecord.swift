import JSON

/// How a supervised container's init ended: exit.json in its state dir, written atomically by
/// the supervisor once init is reaped:
/// `{"exitCode":N,"signal":N|null,"finishedAt":"RFC3339Nano","oomKilled":bool}`.
/// `exitCode` is the shell's number: 128+N when killed by signal N.
public struct ExitRecord: Sendable, Equatable {
    public var exitCode: Int32
    public var signal: Int32?
    public var finishedAt: String
    public var oomKilled: Bool

    public init(exitCode: Int32, signal: Int32?, finishedAt: String, oomKilled: Bool) {
        self.exitCode = exitCode
        self.signal = signal
        self.finishedAt = finishedAt
        self.oomKilled = oomKilled
    }

    public init(status: ExitStatus, finishedAt: String, oomKilled: Bool) {
        self.init(exitCode: status.code, signal: status.signal, finishedAt: finishedAt, oomKilled: oomKilled)
    }

    public var json: JSONValue {
        ["exitCode": .int(exitCode), "signal": signal.map { .int($0) } ?? .null,
         "finishedAt": .string(finishedAt), "oomKilled": .bool(oomKilled)]
    }

    public init?(json: JSONValue) {
        guard let o = json.object, let code = o["exitCode"]?.int32 else { return nil }
        exitCode = code
        signal = o["signal"]?.int32
        finishedAt = o["finishedAt"]?.string ?? ""
        oomKilled = o["oomKilled"]?.bool ?? false
    }

    /// The EXIT column of `husk ps`: "oom", "signal N" or the code.
    public var summary: String {
        if oomKilled { return "oom" }
        if let signal { return "signal \(signal)" }
        return String(exitCode)
    }
}
