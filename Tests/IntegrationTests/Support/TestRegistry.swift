// Registries for the pull tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1 with a
// filesystem store in the sandbox, the python3 helpers of Tests/registry (pusher, token server,
// misbehaving fake registry), and openssl for keys and certificates. All run as sandbox helpers:
// killed by PID (their process group) and removed with the sandbox dir at cleanup.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

enum RegistryTools {
    static let registry = "/usr/bin/docker-registry"
    static let openssl = "/usr/bin/openssl"
    static let scripts = Harness.packageRoot + "/Tests/registry"

    static let available: Bool = Harness.canRun && access(registry, X_OK) == 0 && access(openssl, X_OK) == 0 && Harness.python != nil

    static let requirement: Comment = {
        var missing: [String] = []
        if !Harness.canRun { missing.append("root, HUSK_BINARY and busybox") }
        if access(registry, X_OK) != 0 { missing.append("\(registry) (apt-get install docker-registry)") }
        if access(openssl, X_OK) != 0 { missing.append("\(openssl) (apt-get install openssl)") }
        if Harness.python == nil { missing.append("python3") }
        return Comment(rawValue: "needs " + (missing.isEmpty ? "a registry" : missing.joined(separator: ", ")))
    }()

    /// A TCP port nobody listens on right now (bound to port 0, then released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:port.
    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Starts a python helper that writes its port to a file; returns the port.
    static func startPythonServer(_ sb: Sandbox, _ script: String, _ args: [String], portFile: String) async throws -> Int {
        let child = try sb.startHelper([Harness.python!, scripts + "/" + script, portFile] + args)
        let ok = await Harness.poll(timeout: 15) { FileManager.default.fileExists(atPath: portFile) }
        guard ok, let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) else {
            throw RegistryTestError("\(script) did not start: \(child.stderr)")
        }
        return port
    }

    /// A busybox rootfs (rootfs-examples/busybox/build.sh) for the pusher's layers.
    static func busyboxRootfs(_ sb: Sandbox) async throws -> String {
        let out = sb.dir + "/bb-bundle"
        let script = ProcessInfo.processInfo.environment["HUSK_BUNDLE_SCRIPT"] ?? Harness.packageRoot + "/rootfs-examples/busybox/build.sh"
        let r = try await sb.host([script, out], timeout: 60)
        guard r.succeeded else { throw RegistryTestError("build.sh: \(r)") }
        return out + "/rootfs"
    }

    /// push.py KIND URL REF ROOTFS [extra…] → its JSON digests.
    static func push(_ sb: Sandbox, _ kind: String, _ url: String, _ ref: String, rootfs: String, _ extra: [String] = []) async throws -> [String: Any] {
        let r = try await sb.host([Harness.python!, scripts + "/push.py", kind, url, ref, rootfs] + extra, timeout: 60)
        guard r.succeeded, let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw RegistryTestError("push.py \(kind) \(ref): \(r)")
        }
        return obj
    }

    /// openssl with arguments, in `dir`.
    static func openssl(_ sb: Sandbox, _ args: [String]) async throws {
        let r = try await sb.host([openssl] + args, timeout: 60)
        guard r.succeeded else { throw RegistryTestError("openssl \(args.joined(separator: " ")): \(r)") }
    }
}

struct RegistryTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// docker-registry serving 127.0.0.1:port from `dir`/data; `extraConfig` is YAML appended
/// (auth, tls under http).
struct TestRegistry {
    let port: Int
    let dir: String
    var host: String { "127.0.0.1:\(port)" }

    static func start(_ sb: Sandbox, name: String, auth: String = "", tls: (cert: String, key: String)? = nil) async throws -> TestRegistry {
        let dir = sb.dir + "/" + name
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        for _ in 0..<3 {
            let port = RegistryTools.freePort()
            var config = """
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: \(dir)/data
            http:
              addr: 127.0.0.1:\(port)

            """
            if let tls {
                config += "  tls:\n    certificate: \(tls.cert)\n    key: \(tls.key)\n"
            }
            config += auth
            try config.write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
            let child = try sb.startHelper([RegistryTools.registry, "serve", dir + "/config.yml"])
            if await Harness.poll(timeout: 15, { RegistryTools.listening(port) || child.poll() != nil }), child.poll() == nil {
                return TestRegistry(port: port, dir: dir)
            }
            // The port was taken meanwhile, or the registry refused its config: say why if it is the latter.
            if !child.stderr.contains("address already in use") { throw RegistryTestError("docker-registry did not start: \(child.stderr)") }
        }
        throw RegistryTestError("docker-registry: no free port after 3 tries")
    }
}
