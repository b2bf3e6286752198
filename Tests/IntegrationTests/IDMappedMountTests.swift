// Id-mapped bind mounts (mounts[].uidMappings/gidMappings with idmap): files of host uid 1000
// appear inside as another uid, and what the container writes lands on the host with the
// source-side uid.
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct IDMappedMountTests {
    static func mapping(_ from: Int, _ to: Int) -> [[String: Any]] { [["containerID": from, "hostID": to, "size": 1]] }

    /// A host dir and file owned by 1000:1000, mapped so that 1000 reads as 2000: the
    /// container (running as 2000) sees 2000:2000 and may write; its file is 1000:1000 on the host.
    @Test func filesAppearWithTheMappedOwner() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let data = try sb.hostDir("data")
        try "hello\n".writeFile(data + "/f")
        chown(data + "/f", 1000, 1000)
        chown(data, 1000, 1000)
        chmod(data, 0o755)
        var ctl = ""
        let b = try sb.bundle {
            ctl = try sb.controlDir(&$0)
            $0.mounts.append(["destination": "/data", "type": "bind", "source": data, "options": ["rbind", "idmap"],
                              "uidMappings": Self.mapping(1000, 2000), "gidMappings": Self.mapping(1000, 2000)])
            $0.addMount(destination: "/plain", type: "bind", source: data, options: ["rbind", "ro"])
            $0.user = ["uid": 2000, "gid": 2000]
            $0.shell("stat -c %u:%g /data /data/f /plain/f; echo written > /data/new && stat -c %u:%g /data/new")
        }
        _ = ctl
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        // /plain is the same directory without the mapping: the mapping is what changes the owner.
        #expect(r.stdout == "2000:2000\n2000:2000\n1000:1000\n2000:2000\n", "\(r)")
        var st = stat()
        #expect(stat(data + "/new", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000, "the write lands as 1000:1000 on the host")
        #expect(stat(data + "/f", &st) == 0 && st.st_uid == 1000, "the source is unchanged")
    }

    /// A filesystem without id-mapped mount support (procfs): a clear error at create naming
    /// the mount, nothing left behind.
    @Test(.disabled(if: Harness.isReference, "husk's message"))
    func unsupportedFilesystemIsAClearError() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.mounts.append(["destination": "/ksys", "type": "bind", "source": "/proc/sys/kernel", "options": ["bind", "idmap"],
                              "uidMappings": Self.mapping(0, 1000), "gidMappings": Self.mapping(0, 1000)])
            $0.shell("echo container-ran")
        }
        try await BadInputTests.expectCreateFails(sb, b, mentions: ["mounts[6]", "does not support id-mapped mounts"])
    }

    /// The features document says so.
    @Test(.disabled(if: Harness.isReference, "husk's features document"))
    func featuresListIDMap() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.huskBare(["features"])
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let ext = ((doc?["linux"] as? [String: Any])?["mountExtensions"] as? [String: Any])?["idmap"] as? [String: Any]
        #expect(ext?["enabled"] as? Bool == true, "\(r.stdout)")
    }
}
