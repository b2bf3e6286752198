// The README's CI recipe, for real: a project's `make test` from a workspace in the Debian rootfs
// of rootfs-examples/debian/build.sh (INCLUDE=make), 10-minute timeout, 2 GiB of memory.
// debootstrap takes minutes and needs a mirror, so the test runs only when that rootfs was built
// (rootfs-examples/out/debian, or HUSK_DEBIAN_ROOTFS).
import Foundation
import Testing

private let debianRootfs: String = ProcessInfo.processInfo.environment["HUSK_DEBIAN_ROOTFS"].flatMap { $0.isEmpty ? nil : $0 }
    ?? Harness.packageRoot + "/rootfs-examples/out/debian/rootfs"
private let haveDebian = FileManager.default.isExecutableFile(atPath: debianRootfs + "/usr/bin/make")

@Suite(.enabled(if: Harness.canRun, Harness.requirement),
       .disabled(if: Harness.isReference, "husk sandbox: runc has no such verb"),
       .enabled(if: haveDebian, "needs a Debian rootfs with make: INCLUDE=make rootfs-examples/debian/build.sh (or HUSK_DEBIAN_ROOTFS)"))
struct SandboxCIRecipeTests {
    @Test func makeTestInADebianRootfs() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let project = try sb.hostDir("project")
        try sb.writeFile(project + "/Makefile", "test:\n\t@echo running tests in $$(. /etc/os-release; echo $$ID)\n\t@touch test-ran\n\t@test \"$$(id -u)\" = 0\n")
        let tmpDir = sb.dir + "/sandboxes"
        let report = sb.dir + "/report.json"
        let r = try await sb.husk(["sandbox", "--name", sb.newID("ci"), "--tmp-dir", tmpDir, "--rootfs", debianRootfs,
                                   "--workspace", project + ":/src", "--workdir", "/src", "--timeout", "10m", "--memory", "2g",
                                   "--report", report, "--", "make", "test"], timeout: 120)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("running tests in debian"), "\(r)")
        #expect(FileManager.default.fileExists(atPath: project + "/test-ran"), "the workspace is the project, read-write")
        let data = FileManager.default.contents(atPath: report) ?? Data()
        let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        #expect(o["exitCode"] as? Int == 0, "\(o)")
        #expect((o["limits"] as? [String: Any])?["memoryBytes"] as? Int == 2 << 30, "\(o)")
        #expect((o["limits"] as? [String: Any])?["timeoutMs"] as? Int == 600_000, "\(o)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? []).isEmpty)
    }
}
