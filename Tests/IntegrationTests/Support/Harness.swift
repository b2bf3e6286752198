// What the integration suite needs from its surroundings, and whether it has it.
//
// The suite drives a runtime binary (husk, or runc as the reference) as a subprocess.
// Environment:
//   HUSK_BINARY          the runtime under test (default: <package root>/bin/husk)
//   HUSK_TEST_REFERENCE  "runc" when HUSK_BINARY is the reference runtime: tests of places where
//                        husk deliberately differs from runc are then skipped.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum Harness {
    /// The runtime binary under test.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["HUSK_BINARY"], !path.isEmpty {
            return path
        }
        return packageRoot + "/bin/husk"
    }()

    /// True when the binary under test is the reference runtime (runc): husk-only tests skip.
    static let isReference: Bool = {
        let env = ProcessInfo.processInfo.environment
        if let ref = env["HUSK_TEST_REFERENCE"], !ref.isEmpty { return ref == "runc" }
        // Running against runc without saying so is still a reference run.
        return (binary as NSString).lastPathComponent == "runc"
    }()

    static let isRoot: Bool = geteuid() == 0

    static let binaryExists: Bool = access(binary, X_OK) == 0

    static let busybox = "/bin/busybox"

    /// Root, the binary, and a static busybox to build rootfs from.
    static let canRun: Bool = isRoot && binaryExists && access(busybox, X_OK) == 0

    /// Why the suite skips, when it does (the comment of the `.enabled(if:)` traits).
    static let requirement: Comment = {
        var missing: [String] = []
        if !isRoot { missing.append("root") }
        if !binaryExists { missing.append("an executable HUSK_BINARY (\(binary) is not)") }
        if access(busybox, X_OK) != 0 { missing.append("\(busybox) (apt-get install busybox-static)") }
        return Comment(rawValue: missing.isEmpty ? "needs root, HUSK_BINARY and busybox"
                                                 : "needs " + missing.joined(separator: ", "))
    }()

    static let python: String? = ["/usr/bin/python3", "/usr/local/bin/python3"].first { (path: String) in access(path, X_OK) == 0 }

    /// The directory holding Package.swift, found by walking up from this file.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.path
            }
            url.deleteLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// A container ID unique across parallel tests and runs (runc names cgroups after it).
    static func uniqueID(_ label: String) -> String {
        let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "hit-\(label)-\(getpid())-\(hex)"
    }

    /// Polls `check` until it holds or `timeout` seconds pass, checking once more after the
    /// deadline: on a loaded machine a starved task may wake up only after it.
    static func poll(timeout: Double, every ms: Int = 20,
                     _ check: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try await check() { return true }
            if Date() >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(ms))
        }
    }
}
