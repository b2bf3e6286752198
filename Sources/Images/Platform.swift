/// An image platform `os/architecture[/variant]`, and the choice of a manifest from an index.
public struct Platform: Sendable, Equatable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = Platform.normalize(architecture)
        self.variant = variant.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `os/arch[/variant]`, e.g. linux/arm64 or linux/arm/v7.
    public static func parse(_ text: String) throws(ImageError) -> Platform {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw ImageError("platform \"\(text)\": expected OS/ARCH[/VARIANT], e.g. linux/arm64")
        }
        return Platform(os: parts[0].lowercased(), architecture: parts[1].lowercased(), variant: parts.count == 3 ? parts[2].lowercased() : nil)
    }

    /// linux and the architecture husk was built for.
    public static var host: Platform { Platform(os: "linux", architecture: hostArchitecture) }

    public var description: String { "\(os)/\(architecture)" + (variant.map { "/" + $0 } ?? "") }

    static func normalize(_ arch: String) -> String {
        switch arch {
        case "x86_64", "x86-64": return "amd64"
        case "aarch64": return "arm64"
        default: return arch
        }
    }

    /// Whether an index entry for `candidate` serves a request for `self`. No variant asked:
    /// any variant; arm64 without a variant is arm64/v8.
    public func accepts(_ candidate: Platform) -> Bool {
        guard os == candidate.os, architecture == candidate.architecture else { return false }
        guard let want = variant else { return true }
        let have = candidate.variant ?? (candidate.architecture == "arm64" ? "v8" : nil)
        return want == have
    }

    /// The first index entry for this platform, or nil.
    public func select(_ candidates: [Descriptor]) -> Descriptor? {
        candidates.first { $0.platform.map(accepts) ?? false }
    }
}

/// The manifests an index offers, for error messages ("linux/amd64, linux/arm64/v8").
func platformList(_ candidates: [Descriptor]) -> String {
    let names = candidates.compactMap { $0.platform?.description }.filter { !$0.hasPrefix("unknown/") }
    return names.isEmpty ? "none with a platform" : names.joined(separator: ", ")
}
