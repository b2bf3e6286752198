/// A field of /proc/*/mountinfo (mount point, root) as the path it names: the kernel escapes
/// space, tab, newline and backslash as \ooo (octal).
public func unescapeMountinfoField(_ field: Substring) -> String {
    guard field.contains("\\") else { return String(field) }
    var bytes: [UInt8] = []
    let utf8 = Array(field.utf8)
    var i = 0
    while i < utf8.count {
        if utf8[i] == UInt8(ascii: "\\"), i + 4 <= utf8.count,
           let v = UInt8(String(decoding: utf8[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8) {
            bytes.append(v); i += 4
        } else {
            bytes.append(utf8[i]); i += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
