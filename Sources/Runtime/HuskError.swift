import Sys

/// An error a user sees: one line saying what failed, where and why, plus the exit code
/// the CLI returns (1 like runc, 127/126 for a command that cannot be executed).
public struct HuskError: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    public init(_ error: SysError, stage: String? = nil) {
        self.init(stage.map { "\(error) (stage: \($0))" } ?? error.description)
    }

    public var description: String { message }

    /// Wraps any error with context, keeping the exit code of a HuskError.
    static func wrap(_ error: any Error, _ context: String) -> HuskError {
        if let e = error as? HuskError { return HuskError("\(context): \(e.message)", exitCode: e.exitCode) }
        return HuskError("\(context): \(error)")
    }
}
