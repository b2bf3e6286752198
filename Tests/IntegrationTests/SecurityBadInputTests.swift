// Bad security settings: each is refused at create with a one-line error naming the field, and
// nothing is left behind (BadInputTests.expectCreateFails checks both).
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct SecurityBadInputTests {
    /// A seccomp profile broken in one place, and the field the error must name.
    static var seccompCases: [(name: String, profile: [String: Any], field: String)] { [
        ("unknown default action", ["defaultAction": "SCMP_ACT_DENY"], "linux.seccomp.defaultAction"),
        ("unknown rule action", ["defaultAction": "SCMP_ACT_ALLOW",
                                 "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_MAYBE"]]],
         "linux.seccomp.syscalls[0].action"),
        ("unknown operator", ["defaultAction": "SCMP_ACT_ALLOW",
                              "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                                            "args": [["index": 1, "value": 0, "op": "SCMP_CMP_ABOUT"]]]]],
         "linux.seccomp.syscalls[0].args[0].op"),
        ("argument index 6", ["defaultAction": "SCMP_ACT_ALLOW",
                              "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                                            "args": [["index": 6, "value": 0, "op": "SCMP_CMP_EQ"]]]]],
         "linux.seccomp.syscalls[0].args[0].index"),
        ("empty architectures", ["defaultAction": "SCMP_ACT_ALLOW", "architectures": [String]()],
         "linux.seccomp.architectures"),
        ("empty architecture name", ["defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", ""]],
         "linux.seccomp.architectures[1]"),
        ("unknown flag", ["defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]],
         "linux.seccomp.flags[0]"),
    ] }

    @Test(.disabled(if: Harness.isReference, "husk names the field; runc's messages differ"),
          arguments: 0..<7)
    func malformedSeccompProfile(_ index: Int) async throws {
        let c = Self.seccompCases[index]
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.linux["seccomp"] = c.profile
            $0.shell("echo container-ran")
        }
        try await BadInputTests.expectCreateFails(sb, b, mentions: [c.field])
    }

    /// User namespace mappings the kernel would refuse (overlaps on either side) fail before clone.
    @Test(.disabled(if: Harness.isReference, "husk names the field; runc's messages differ"),
          arguments: [
            ("uidMappings", [[0, 100000, 65536], [1000, 300000, 10]], "linux.uidMappings[1]", "container ids 1000-1009 overlap"),
            ("gidMappings", [[0, 100000, 65536], [70000, 100010, 5]], "linux.gidMappings[1]", "host ids 100010-100014 overlap"),
          ])
    func overlappingMappings(key: String, maps: [[Int]], field: String, text: String) async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let good = [["containerID": 0, "hostID": 100000, "size": 65536]]
        let b = try sb.bundle {
            $0.setNamespace("user")
            $0.linux["uidMappings"] = good
            $0.linux["gidMappings"] = good
            $0.linux[key] = maps.map { ["containerID": $0[0], "hostID": $0[1], "size": $0[2]] }
            $0.shell("echo container-ran")
        }
        try await BadInputTests.expectCreateFails(sb, b, mentions: [field, text])
    }

    /// husk run as root of a user namespace that maps only uid/gid 0 (unshare -r): host ids
    /// 100000-165535 are not its to give, and create says so before touching anything.
    @Test(.disabled(if: Harness.isReference, "husk checks the parent's range itself"),
          .enabled(if: access("/usr/bin/unshare", X_OK) == 0, "needs unshare (util-linux)"))
    func mappingsBeyondTheParentRange() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let range = [["containerID": 0, "hostID": 100000, "size": 65536]]
        let b = try sb.bundle {
            $0.setNamespace("user")
            $0.linux["uidMappings"] = range
            $0.linux["gidMappings"] = range
            $0.shell("echo container-ran")
        }
        let id = sb.newID("parent")
        let r = try await sb.host(["/usr/bin/unshare", "--user", "--map-root-user", Harness.binary,
                                   "--root", sb.stateRoot, "create", "--bundle", b.path, id])
        #expect(r.status != 0, "\(r)")
        #expect(r.stderr.contains("linux.uidMappings[0]") && r.stderr.contains("/proc/self/uid_map maps 0)"), "\(r)")
        #expect(!r.stderr.contains("\n") || r.stderr.split(separator: "\n").count == 1, "one line: \(r.stderr)")
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }
}
