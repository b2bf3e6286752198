/// The runtime-spec versions husk understands.
public enum OCIVersion {
    /// The version husk writes (default spec, state) and the newest it claims to support.
    public static let current = "1.2.0"
    /// The oldest version husk accepts.
    public static let minimum = "1.0.0"

    /// The numeric parts of a semantic version like "1.0.2-dev" or "1.2.0+build"; nil if malformed.
    public static func parse(_ version: String) -> (major: Int, minor: Int, patch: Int)? {
        // Pre-release and build suffixes do not change compatibility; drop them.
        let core = version.prefix { $0 != "-" && $0 != "+" }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.allSatisfy(\.isASCIIDigit), let number = Int(part) else { return nil }
            numbers.append(number)
        }
        return (numbers[0], numbers[1], numbers[2])
    }

    /// True for versions husk can run: any well-formed 1.x.y (unknown newer fields are ignored).
    public static func isSupported(_ version: String) -> Bool {
        parse(version)?.major == 1
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
