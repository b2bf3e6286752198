import Foundation
import JSON
import OCI
import Testing
@testable import Runtime

/// Rootless policy, checked without root: what a user namespace changes in the mount plan,
/// which resources are refused, how /etc/subuid is read.
@Suite struct RootlessUnitTests {
    static func plan(namespaces: [String], gidMappings: [LinuxIDMapping], mounts: [Mount]) throws(HuskError) -> LaunchPlan {
        var spec = Spec()
        var linux = Linux()
        linux.namespaces = namespaces.map { LinuxNamespace(NamespaceKind(rawValue: $0)!) }
        linux.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        linux.gidMappings = gidMappings
        spec.linux = linux
        var process = OCI.Process()
        process.args = ["/bin/true"]
        spec.process = process
        spec.mounts = mounts
        return try PlanBuilder(spec: spec, bundle: "/bundle", rootfs: "/bundle/rootfs").build()
    }

    static let sysfs = Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"])
    static let devpts = Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
                              options: ["nosuid", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])

    @Test func sysfsBecomesARecursiveBindWithoutANetworkNamespace() throws {
        let plan = try Self.plan(namespaces: ["user", "mount"], gidMappings: [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)],
                                 mounts: [Self.sysfs])
        let m = try #require(plan.mounts.first)
        #expect(m.bind && m.source == "/sys" && m.fstype == nil)
        #expect(m.flags & MountFlag.bind != 0 && m.flags & MountFlag.recursive != 0 && m.flags & MountFlag.readOnly != 0)
    }

    @Test func sysfsStaysWithItsOwnNetworkNamespace() throws {
        let plan = try Self.plan(namespaces: ["user", "mount", "network"], gidMappings: [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)],
                                 mounts: [Self.sysfs])
        #expect(plan.mounts.first?.fstype == "sysfs" && plan.mounts.first?.bind == false)
    }

    @Test func unmappedGidOptionIsDropped() throws {
        let plan = try Self.plan(namespaces: ["user", "mount"], gidMappings: [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)],
                                 mounts: [Self.devpts])
        #expect(plan.mounts.first?.data?.contains("gid=") == false)
        #expect(plan.mounts.first?.data?.contains("mode=0620") == true)
    }

    @Test func mappedGidOptionIsKept() throws {
        let plan = try Self.plan(namespaces: ["user", "mount"],
                                 gidMappings: [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1),
                                               LinuxIDMapping(containerID: 1, hostID: 100000, size: 65536)],
                                 mounts: [Self.devpts])
        #expect(plan.mounts.first?.data?.contains("gid=5") == true)
    }

    @Test func limitsAreRefusedDeviceRulesAndEmptyObjectsAreNot() throws {
        do {
            try Rootless.checkResources(["devices": [["allow": false, "access": "rwm"]], "memory": [:], "pids": .null])
        } catch {
            Issue.record("device rules and empty objects were refused: \(error.message)")
        }
        do {
            try Rootless.checkResources(["pids": ["limit": 10]])
            Issue.record("a pids limit was accepted")
        } catch {
            #expect(error.message.contains("linux.resources.pids: rootless: resource limits need a delegated cgroup v2 subtree"))
        }
    }

    @Test func subordinateRangesByNameOrUid() throws {
        let path = NSTemporaryDirectory() + "subuid-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try "alice:100000:65536\nbob:165536:65536\n1000:300000:10\nbroken\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let r = Rootless.subordinateRanges(path, user: "alice", id: 1000)
        #expect(r.map { [$0.start, $0.count] } == [[100000, 65536], [300000, 10]])
    }
}
