/// Any failure of the Images module; the message names the file or entry and the field.
/// `transient` marks network failures a retry may cure (a dropped or timed-out connection).
public struct ImageError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let transient: Bool
    public init(_ message: String, transient: Bool = false) { self.message = message; self.transient = transient }
    public var description: String { message }
}
