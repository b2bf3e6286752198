/// Any failure of the Images module; the message names the file or entry and the field.
public struct ImageError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
