// Namespaces: the container's /proc/self/ns links against the test process's own.
// (A namespace not listed in the config is inherited from whoever runs the runtime: us.)
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct NamespaceTests {
    static let kinds = ["pid", "net", "ipc", "uts", "mnt", "cgroup", "user"]

    static func hostLink(_ kind: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(kind)")) ?? "?"
    }

    /// `kind=link` lines printed by the container for each of `kinds`.
    static func containerLinks(_ output: String) -> [String: String] {
        var links: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { links[String(parts[0])] = String(parts[1]) }
        }
        return links
    }

    static let printLinks = kinds.map { "echo \($0)=$(readlink /proc/self/ns/\($0))" }.joined(separator: "; ")

    @Test func defaultNamespacesAreNewOthersShared() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell(Self.printLinks) }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let links = Self.containerLinks(r.stdout)
        for kind in ["pid", "net", "ipc", "uts", "mnt"] {
            #expect(links[kind] != nil && links[kind] != Self.hostLink(kind), "\(kind): \(links[kind] ?? "-")")
        }
        for kind in ["cgroup", "user"] {
            #expect(links[kind] == Self.hostLink(kind), "\(kind) not in config, so shared")
        }
    }

    @Test func cgroupNamespace() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.setNamespace("cgroup")
            $0.shell("readlink /proc/self/ns/cgroup")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let link = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link.hasPrefix("cgroup:["))
        #expect(link != Self.hostLink("cgroup"))
    }

    @Test func pidNamespaceMakesProcessPID1() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("echo $$; ls /proc | grep -c '^[0-9]'") }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "1")
        // sh, ls, grep: nothing of the host is visible.
        #expect(Int(lines.last ?? "") ?? 99 <= 4, "\(r.stdout)")
    }

    @Test func utsHostname() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.json["hostname"] = "box-under-test"
            $0.shell("hostname; cat /proc/sys/kernel/hostname")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "box-under-test\nbox-under-test\n")
        let host = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
        #expect(host != "box-under-test\n", "the host's hostname is untouched")
    }

    @Test func netNamespaceHasOnlyLoopback() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("ls /sys/class/net; cat /proc/net/dev | tail -n +3 | cut -d: -f1") }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let names = Set(r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(names == ["lo"], "\(r.stdout)")
    }

    @Test func ipcNamespaceIsPrivate() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("readlink /proc/self/ns/ipc; cat /proc/sysvipc/shm | wc -l") }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first != Self.hostLink("ipc"))
        #expect(lines.last == "1", "only the header of /proc/sysvipc/shm: \(r.stdout)")
    }

    @Test func mountNamespaceHidesHostMounts() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("readlink /proc/self/ns/mnt; cat /proc/self/mountinfo") }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.split(separator: "\n").first.map(String.init) != Self.hostLink("mnt"))
        #expect(!r.stdout.contains("/sys/fs/cgroup/memory"), "host mounts are not visible")
        let mountPoints = r.stdout.split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: " ").dropFirst(4).first.map(String.init)
        }
        #expect(mountPoints.contains("/"))
        #expect(!mountPoints.contains { $0.hasPrefix("/var/tmp") }, "the bundle path is not a mount point inside")
    }

    @Test func noPidNamespaceSharesHostPids() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.removeNamespace("pid")
            $0.shell("readlink /proc/self/ns/pid; echo $$")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == Self.hostLink("pid"))
        #expect(lines.last != "1")
    }

    static func userMapped(_ c: inout Config) {
        c.setNamespace("user")
        c.linux["uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
        c.linux["gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
    }

    @Test func userNamespaceMappings() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            Self.userMapped(&$0)
            $0.shell("cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; id -u; readlink /proc/self/ns/user")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let parts = r.stdout.components(separatedBy: "--\n")
        #expect(parts.count == 3, "\(r.stdout)")
        guard parts.count == 3 else { return }
        #expect(Self.mapLines(parts[0]) == [[0, 100000, 65536]])
        #expect(Self.mapLines(parts[1]) == [[0, 100000, 65536]])
        let tail = parts[2].split(separator: "\n").map(String.init)
        #expect(tail.first == "0", "uid 0 inside")
        #expect(tail.last != Self.hostLink("user"))
    }

    @Test func userNamespaceProcessIsUnprivilegedOnHost() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            Self.userMapped(&$0)
            $0.args = ["sleep", "30"]
        }
        let id = sb.newID()
        let r = try await sb.husk(["run", "-d", "--bundle", b.path, id])
        #expect(r.status == 0, "\(r)")
        let pid = try #require(try await sb.state(id)?["pid"] as? Int)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let uidLine = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
        #expect(uidLine.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().allSatisfy { $0 == "100000" },
                "host sees uid 100000: \(uidLine)")
    }

    @Test func userNamespaceMultipleRanges() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.setNamespace("user")
            $0.linux["uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 1000],
                                       ["containerID": 1000, "hostID": 300000, "size": 10]]
            $0.linux["gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 1000],
                                       ["containerID": 1000, "hostID": 300000, "size": 10],
                                       ["containerID": 65534, "hostID": 165534, "size": 1]]
            $0.shell("cat /proc/self/uid_map; echo --; cat /proc/self/gid_map")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let parts = r.stdout.components(separatedBy: "--\n")
        #expect(parts.count == 2, "\(r.stdout)")
        guard parts.count == 2 else { return }
        #expect(Self.mapLines(parts[0]) == [[0, 100000, 1000], [1000, 300000, 10]])
        #expect(Self.mapLines(parts[1]) == [[0, 100000, 1000], [1000, 300000, 10], [65534, 165534, 1]])
    }

    static func mapLines(_ text: String) -> [[Int]] {
        text.split(separator: "\n").map { $0.split(separator: " ").compactMap { Int($0) } }
    }

    @Test func joinNetworkNamespaceByPath() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        // A network namespace held by a sleeping host process; lo's MTU of 1234 is the witness.
        let holder = try sb.startHelper(["/usr/bin/unshare", "--net", "/bin/sh", "-c",
                                         "ip link set lo mtu 1234; exec sleep 60"])
        let nsPath = "/proc/\(holder.pid)/ns/net"
        var st = stat()
        var hostSt = stat()
        stat("/proc/self/ns/net", &hostSt)
        // Wait until unshare has switched namespaces and the shell has set the MTU (then execs sleep).
        _ = await Harness.poll(timeout: 20) {
            guard let comm = try? String(contentsOfFile: "/proc/\(holder.pid)/comm", encoding: .utf8),
                  comm.hasPrefix("sleep") else { return false }
            return stat(nsPath, &st) == 0 && st.st_ino != hostSt.st_ino
        }
        #expect(st.st_ino != hostSt.st_ino, "the holder has its own netns")

        let b = try sb.bundle {
            $0.setNamespace("network", path: nsPath)
            $0.shell("readlink /proc/self/ns/net; cat /sys/class/net/lo/mtu")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "net:[\(st.st_ino)]")
        #expect(lines.last == "1234", "\(r.stdout)")
    }

    @Test func joinUTSNamespaceByPathKeepsItsHostname() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let holder = try sb.startHelper(["/usr/bin/unshare", "--uts", "/bin/sh", "-c",
                                         "hostname held-uts; exec sleep 60"])
        _ = await Harness.poll(timeout: 20) {
            (try? String(contentsOfFile: "/proc/\(holder.pid)/comm", encoding: .utf8))?.hasPrefix("sleep") == true
        }
        let b = try sb.bundle {
            $0.setNamespace("uts", path: "/proc/\(holder.pid)/ns/uts")
            $0.json.removeValue(forKey: "hostname")
            $0.shell("hostname")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "held-uts\n")
    }
}
