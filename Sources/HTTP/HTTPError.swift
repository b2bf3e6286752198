/// A failed HTTP exchange. `transient` marks failures of the connection (reset, closed early,
/// timed out) that a retry may cure, as opposed to a bad URL or a malformed response.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let transient: Bool
    public init(_ message: String, transient: Bool = false) { self.message = message; self.transient = transient }
    public var description: String { message }
}
