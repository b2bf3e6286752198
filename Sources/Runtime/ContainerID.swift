/// Container IDs become directory names under --root: only [A-Za-z0-9_+.-], not "." or
/// "..", at most 1024 bytes (runc's rule).
public enum ContainerID {
    public static func validate(_ id: String) throws(HuskError) {
        if id.isEmpty { throw HuskError("container id must not be empty") }
        if id == "." || id == ".." { throw HuskError("invalid container id \(id.debugDescription): must not be \".\" or \"..\"") }
        if id.utf8.count > 1024 { throw HuskError("invalid container id: longer than 1024 bytes") }
        for b in id.utf8 {
            let ok = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x5F || b == 0x2B || b == 0x2D || b == 0x2E
            if !ok { throw HuskError("invalid container id \(id.debugDescription): only letters, digits and _ + - . are allowed") }
        }
    }
}
