import Glibc

/// A failed Linux call: what was being done, on which path, and errno.
/// Renders as `mkdir /run/husk/abc: Permission denied`.
public struct SysError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let path: String?
    public let errno: Int32

    public init(_ operation: String, path: String? = nil, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let subject = path.map { "\(operation) \($0)" } ?? operation
        return "\(subject): \(errnoText(errno))"
    }
}

/// strerror text, e.g. "No such file or directory".
public func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// Retries a call that failed with EINTR; throws a SysError for any other failure.
@discardableResult
public func retrying<T: BinaryInteger>(_ operation: String, path: String? = nil, _ call: () -> T) throws(SysError) -> T {
    while true {
        let r = call()
        if r >= 0 { return r }
        if errno != EINTR { throw SysError(operation, path: path) }
    }
}
