import Glibc
import JSON
import Sys

/// runc-style logging: to --log FILE (or stderr), as text or one JSON object per line
/// ({"level","msg","time"}), which engines like podman read to report errors.
public final class Logger: @unchecked Sendable {
    public enum Format: String, Sendable { case text, json }
    public enum Level: String, Sendable { case debug, info, warning, error }

    private let fd: Int32
    private let format: Format
    private let debugEnabled: Bool
    public let toFile: Bool

    public init(path: String?, format: Format, debug: Bool) {
        self.format = format
        self.debugEnabled = debug
        if let path, let fd = Optional(open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)), fd >= 0 {
            self.fd = fd
            self.toFile = true
        } else {
            self.fd = 2
            self.toFile = false
        }
    }

    public func debug(_ message: @autoclosure () -> String) {
        if debugEnabled { write(.debug, message()) }
    }

    public func warning(_ message: String) { write(.warning, message) }
    public func error(_ message: String) { write(.error, message) }

    private func write(_ level: Level, _ message: String) {
        let line: String
        switch format {
        case .json:
            let obj: JSONValue = ["level": .string(level.rawValue), "msg": .string(message), "time": .string(rfc3339Now())]
            line = JSON.serialize(obj) + "\n"
        case .text:
            line = toFile ? "time=\"\(rfc3339Now())\" level=\(level.rawValue) msg=\"\(message)\"\n" : "husk: \(level == .error ? "" : level.rawValue + ": ")\(message)\n"
        }
        _ = Array(line.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}
