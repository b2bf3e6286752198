import Glibc
import Sys

/// A cgroup failure: the knob or directory and errno text, or the `linux.resources` field at fault.
/// Renders as `write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: Device or resource busy (stage: cgroups)`
/// or `linux.resources.memory.limit: expected an integer, got "1G" (stage: cgroups)`.
public struct CgroupError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What failed, without the stage suffix.
    public let message: String
    /// The errno of a failed call, if any.
    public let errno: Int32?
    /// The config field at fault (`linux.resources.memory.limit`), if any.
    public let field: String?

    public init(_ message: String, errno: Int32? = nil, field: String? = nil) {
        self.message = message
        self.errno = errno
        self.field = field
    }

    /// A failed call on `path`: `write /sys/…/memory.max: Device or resource busy`.
    public init(_ operation: String, path: String, errno: Int32) {
        self.init("\(operation) \(path): \(errnoText(errno))", errno: errno)
    }

    init(_ error: SysError) {
        self.init(error.description, errno: error.errno)
    }

    /// A bad or unsupported value of `linux.resources.<field>`.
    static func field(_ field: String, _ problem: String) -> CgroupError {
        CgroupError("linux.resources.\(field): \(problem)", field: "linux.resources.\(field)")
    }

    public var description: String { message + " (stage: cgroups)" }
}
