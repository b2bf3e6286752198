import Glibc
import Cgroups
import JSON
import OCI
import Sys

/// What `husk sandbox` runs, and how: everything the command line says, already parsed.
/// `spec()` turns it into the config.json of a throw-away bundle (policy only, no syscalls:
/// unit-tested without root); Runtime+Sandbox.swift does the rest.
public struct SandboxOptions: Sendable {
    /// A mount the sandbox adds to the container.
    public enum Mount: Sendable, Equatable {
        case bind(source: String, destination: String, readOnly: Bool)
        case tmpfs(destination: String, options: [String])
        /// `--cache NAME:/path`: a persistent host dir `<cacheDir>/NAME`, reused across runs.
        case cache(name: String, destination: String)
    }

    public var command: [String]
    /// The root's read-only lower layer (`--rootfs`); unused when `layers` is set.
    public var rootfs: String
    /// `--image`: the image's layer dirs, bottom first (an overlay's lower layers), and its name.
    public var layers: [String] = []
    public var imageName: String?
    public var readOnly = false
    public var exportChanges: String?
    public var mounts: [Mount] = []
    public var memoryBytes: Int64?
    public var cpus: Double?
    public var pids: Int64?
    public var ioWeight: UInt16?
    /// `--io-max`: throttles on block devices (cgroup v2 io.max, v1 blkio.throttle.*).
    public var ioMax: [IOMax] = []
    public var timeoutMs: Int?
    public var graceMs = 10_000
    public var hostNetwork = false
    /// `K=V` entries after the defaults; later ones win.
    public var env: [String] = []
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var workdir = "/"
    public var noStdin = false
    /// `-` for stderr.
    public var report: String?
    /// `--log-file`: the command's output also saved here (plain text, in arrival order).
    public var logFile: String?
    /// The container ID (default `sandbox-<random>`).
    public var name: String?
    /// Where the throw-away dir goes (default /var/lib/husk/sandboxes, else $TMPDIR).
    public var tmpDir: String?
    /// Where `--cache` dirs live (default /var/lib/husk/caches).
    public var cacheDir: String?
    /// The husk command line (global options and the hidden verb) the watcher execs to clean
    /// up if this process dies first; the runtime adds the sandbox dir. nil: no watcher
    /// (nothing cleans up if this process is SIGKILLed; `husk sandbox --gc` does later).
    public var watcher: [String]?

    public static let defaultSandboxBase = "/var/lib/husk/sandboxes"

    /// Where sandbox dirs go without --tmp-dir: /var/lib/husk/sandboxes, else $TMPDIR (or /tmp)/husk-sandboxes.
    public static func defaultBases() -> [String] {
        let tmp = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return [defaultSandboxBase, tmp + "/husk-sandboxes"]
    }
    public static let defaultCacheBase = "/var/lib/husk/caches"
    public static let cpuPeriod: UInt64 = 100_000

    public init(command: [String], rootfs: String) {
        self.command = command
        self.rootfs = rootfs
    }

    /// The default capabilities, as `runc spec` writes them.
    public static let capabilities = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

    /// `PATH`, `HOME` and `TERM`, then the user's entries; a later `K=` replaces an earlier one.
    public var environment: [String] {
        var out: [String] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                             "HOME=" + (uid == 0 ? "/root" : "/"), "TERM=dumb"]
        for e in env {
            let key = e.prefix(while: { $0 != "=" })
            out.removeAll { $0.prefix(while: { $0 != "=" }) == key }
            out.append(e)
        }
        return out
    }

    /// cgroup v1 controllers a sandbox stays out of (each hierarchy costs a mkdir, a join, a
    /// read and an rmdir per run, ~0.3 ms). Kept: memory, pids, cpuacct and blkio (the report
    /// and their limits), devices (the device allow-list). Left out: cpuset (no pinning; a
    /// sandbox is never updated), freezer (its own pid namespace: when init dies the kernel
    /// kills everything left, so nothing needs freezing), hugetlb and the network, perf and
    /// rdma/misc controllers (no limits asked), and cpu unless --cpus limits it. A hierarchy
    /// is only left when all its controllers are (cpu,cpuacct mounted together stays).
    public var omittedCgroupControllers: Set<String> {
        var omitted: Set<String> = ["cpuset", "freezer", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc"]
        if cpus == nil { omitted.insert("cpu") }
        return omitted
    }

    /// linux.resources for the limits (devices: deny all but the defaults the runtime adds).
    public var resources: JSONValue {
        var r: JSONObject = ["devices": [["allow": false, "access": "rwm"]]]
        if let memoryBytes { r["memory"] = ["limit": .int(memoryBytes)] }
        if let cpus {
            r["cpu"] = ["quota": .int(Int64((cpus * Double(Self.cpuPeriod)).rounded())), "period": .int(Self.cpuPeriod)]
        }
        if let pids { r["pids"] = ["limit": .int(pids)] }
        if ioWeight != nil || !ioMax.isEmpty {
            var io = JSONObject()
            if let ioWeight { io["weight"] = .int(ioWeight) }
            func throttles(_ rate: (IOMax) -> UInt64?) -> JSONValue {
                .array(ioMax.compactMap { m in rate(m).map { ["major": .int(m.major), "minor": .int(m.minor), "rate": .int($0)] } })
            }
            for (key, rate) in [("throttleReadBpsDevice", \IOMax.readBps), ("throttleWriteBpsDevice", \IOMax.writeBps),
                                ("throttleReadIOPSDevice", \IOMax.readIOPS), ("throttleWriteIOPSDevice", \IOMax.writeIOPS)] {
                if case let .array(list) = throttles({ $0[keyPath: rate] }), !list.isEmpty { io[key] = .array(list) }
            }
            r["blockIO"] = .object(io)
        }
        return .object(r)
    }

    /// The limits as the report shows them.
    public var limitsJSON: JSONValue {
        var o = JSONObject()
        o["memoryBytes"] = memoryBytes.map { .int($0) } ?? .null
        o["cpus"] = cpus.map { .number(String($0)) } ?? .null
        o["cpuQuotaUs"] = cpus.map { .int(Int64(($0 * Double(Self.cpuPeriod)).rounded())) } ?? .null
        o["cpuPeriodUs"] = cpus.map { _ in .int(Self.cpuPeriod) } ?? .null
        o["pids"] = pids.map { .int($0) } ?? .null
        o["ioWeight"] = ioWeight.map { .int($0) } ?? .null
        o["ioMax"] = .array(ioMax.map { .string($0.description) })
        o["timeoutMs"] = timeoutMs.map { .int($0) } ?? .null
        o["graceMs"] = .int(graceMs)
        o["network"] = .string(hostNetwork ? "host" : "none")
        o["readOnly"] = .bool(readOnly)
        return .object(o)
    }

    /// The config.json of the sandbox's bundle: runc's default spec (capabilities, masked and
    /// read-only paths, no_new_privs) with the default seccomp profile, root at `rootfs` in the
    /// bundle, the options' mounts, limits and process. `cacheHostPath` maps a cache name to its dir.
    public func spec(rootReadOnly: Bool, cgroupNamespace: Bool, cacheHostPath: (String) -> String) -> JSONValue {
        guard case var .object(doc) = DefaultSpec.make(rootless: false, args: command, terminal: false,
                                                       cgroupNamespace: cgroupNamespace, seccomp: true,
                                                       seccompX32: Kernel.runsX32Syscalls) else { return .null }
        doc["root"] = ["path": "rootfs", "readonly": .bool(rootReadOnly)]
        doc["hostname"] = "sandbox"
        if var process = doc["process"]?.object {
            process["env"] = .array(environment.map { .string($0) })
            process["cwd"] = .string(workdir)
            process["user"] = ["uid": .int(uid), "gid": .int(gid)]
            doc["process"] = .object(process)
        }
        var mountList = doc["mounts"]?.array ?? []
        for m in mounts {
            switch m {
            case let .bind(source, destination, readOnly):
                mountList.append(["destination": .string(destination), "type": "bind", "source": .string(source),
                                  "options": ["rbind", readOnly ? "ro" : "rw", "nosuid", "nodev"]])
            case let .tmpfs(destination, options):
                let opts = ["nosuid", "nodev"] + (options.contains(where: { $0.hasPrefix("mode=") }) ? [] : ["mode=1777"]) + options
                mountList.append(["destination": .string(destination), "type": "tmpfs", "source": "tmpfs",
                                  "options": .array(opts.map { .string($0) })])
            case let .cache(name, destination):
                mountList.append(["destination": .string(destination), "type": "bind", "source": .string(cacheHostPath(name)),
                                  "options": ["rbind", "rw", "nosuid", "nodev"]])
            }
        }
        doc["mounts"] = .array(mountList)
        if var linux = doc["linux"]?.object {
            linux["resources"] = resources
            if hostNetwork, let namespaces = linux["namespaces"]?.array {
                linux["namespaces"] = .array(namespaces.filter { $0.object?["type"]?.string != "network" })
            }
            doc["linux"] = .object(linux)
        }
        doc["annotations"] = ["org.husk.sandbox": "true", "org.husk.loopback": "up"]
        return .object(doc)
    }

    /// A cache name is one path component of letters, digits, `.`, `_`, `-` (not "." or "..").
    public static func isValidCacheName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name.utf8.count <= 128
            && name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "." || $0 == "_" || $0 == "-" }
    }
}

/// One `--io-max DEVICE:rbps=N,wbps=N,riops=N,wiops=N` (DEVICE a block device path or MAJ:MIN).
public struct IOMax: Sendable, Equatable, CustomStringConvertible {
    public var major: Int64
    public var minor: Int64
    public var readBps: UInt64?
    public var writeBps: UInt64?
    public var readIOPS: UInt64?
    public var writeIOPS: UInt64?

    public init(major: Int64, minor: Int64) {
        self.major = major
        self.minor = minor
    }

    /// io.max's own notation: `8:0 rbps=1048576 wiops=100`.
    public var description: String {
        var parts = ["\(major):\(minor)"]
        if let readBps { parts.append("rbps=\(readBps)") }
        if let writeBps { parts.append("wbps=\(writeBps)") }
        if let readIOPS { parts.append("riops=\(readIOPS)") }
        if let writeIOPS { parts.append("wiops=\(writeIOPS)") }
        return parts.joined(separator: " ")
    }

    /// Parses the flag's value; `device` resolves a path to its major and minor (nil: not a block device).
    /// Sizes take k/m/g suffixes (binary, as --memory).
    public static func parse(_ text: String, device: (String) -> (major: Int64, minor: Int64)?) -> Result<IOMax, ParseError> {
        guard let eq = text.firstIndex(of: "="), let colon = text[..<eq].lastIndex(of: ":") else {
            return .failure(ParseError("expected DEVICE:rbps=N,wbps=N,riops=N,wiops=N (DEVICE a block device or MAJ:MIN)"))
        }
        let dev = String(text[..<colon])
        var max: IOMax
        let numbers = dev.split(separator: ":", omittingEmptySubsequences: false)
        if numbers.count == 2, let major = Int64(numbers[0]), let minor = Int64(numbers[1]), major >= 0, minor >= 0 {
            max = IOMax(major: major, minor: minor)
        } else if dev.hasPrefix("/"), let (major, minor) = device(dev) {
            max = IOMax(major: major, minor: minor)
        } else {
            return .failure(ParseError("\"\(dev)\" is not a block device or MAJ:MIN"))
        }
        for pair in text[text.index(after: colon)...].split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let value = kv.count == 2 ? (kv[0].hasSuffix("iops") ? UInt64(kv[1]) : ResourceFlags.ramInBytes(kv[1]).flatMap { UInt64(exactly: $0) }) : nil
            guard let value, value > 0 else { return .failure(ParseError("\"\(pair)\": expected KEY=N with N > 0")) }
            switch kv[0] {
            case "rbps": max.readBps = value
            case "wbps": max.writeBps = value
            case "riops": max.readIOPS = value
            case "wiops": max.writeIOPS = value
            default: return .failure(ParseError("unknown key \"\(kv[0])\" (rbps, wbps, riops, wiops)"))
            }
        }
        return .success(max)
    }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
