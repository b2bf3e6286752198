// The command line itself: global flags, usage errors, what engines rely on.
import Foundation
import Testing

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct CLITests {
    @Test(arguments: ["--version", "-v"])
    func version(_ flag: String) async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.huskBare([flag])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("version"), "\(r)")
        #expect(r.stdout.contains("spec"), "the runtime-spec version is printed, as runc does: \(r)")
    }

    @Test(arguments: ["--help", "-h", "help"])
    func help(_ flag: String) async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.huskBare([flag])
        #expect(r.status == 0, "\(r)")
        for verb in ["create", "start", "state", "kill", "delete", "run", "list"] {
            #expect(r.stdout.contains(verb), "help mentions \(verb)")
        }
    }

    /// The verb table names each verb apart from its Command (so unused commands are never
    /// built): every verb the usage lists must reach the command of that name.
    @Test func everyListedVerbReachesItsCommand() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let usage = try await sb.huskBare(["--help"]).stdout
        let listed = usage.components(separatedBy: "Commands:\n").last?.components(separatedBy: "\n\n").first ?? ""
        let verbs = listed.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(verbs.count >= 20, "\(usage)")
        for verb in verbs {
            let r = try await sb.huskBare([verb, "--help"])
            #expect(r.status == 0 && r.stdout.hasPrefix("Usage: husk \(verb) "), "\(verb): \(r)")
        }
    }

    @Test func unknownVerbFails() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.huskBare(["no-such-verb"])
        #expect(r.status != 0, "\(r)")
        #expect(!r.stderr.isEmpty)
    }

    @Test(arguments: [["state"], ["start"], ["delete"], ["kill"], ["create"]])
    func missingContainerIDFails(_ args: [String]) async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.husk(args)
        #expect(r.status != 0, "\(r)")
        #expect(!r.stderr.isEmpty)
    }

    @Test func listOnMissingRootIsEmpty() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.husk(["list", "-q"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.isEmpty)
    }

    /// containerd and podman run `delete --force` on IDs that may already be gone.
    @Test func forceDeleteOfUnknownIDSucceeds() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let r = try await sb.husk(["delete", "--force", Harness.uniqueID("gone")])
        #expect(r.status == 0, "\(r)")
        let plain = try await sb.husk(["delete", Harness.uniqueID("gone")])
        #expect(plain.status != 0, "\(plain)")
    }

    @Test func shortBundleFlag() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("echo short-flag") }
        let r = try await sb.husk(["run", "-b", b.path, sb.newID()])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "short-flag\n")
    }

    /// containerd passes --log FILE --log-format json and reads the error back from the file.
    @Test func jsonLogOnFailure() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let log = sb.dir + "/runtime.log"
        let id = sb.newID()
        let r = try await Child([Harness.binary, "--root", sb.stateRoot, "--log", log, "--log-format", "json",
                                 "create", "--bundle", sb.dir + "/no-such-bundle", id],
                                outputDir: sb.ioDir).wait()
        #expect(r.status != 0, "\(r)")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(!lines.isEmpty)
        let errors = lines.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.filter { $0["level"] as? String == "error" }
        #expect(errors.count >= 1, "an error entry in \(text)")
        #expect((errors.last?["msg"] as? String)?.isEmpty == false, "\(text)")
    }

    @Test func stateJSONShape() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.args = ["sleep", "30"]
            $0.json["annotations"] = ["org.example.key": "value"]
        }
        let id = sb.newID()
        #expect(try await sb.husk(["create", "--bundle", b.path, id]).status == 0)
        let s = try #require(try await sb.state(id))
        #expect(s["ociVersion"] is String)
        #expect(s["id"] as? String == id)
        #expect(s["status"] as? String == "created")
        #expect(s["pid"] is Int)
        #expect(s["bundle"] is String)
        #expect((s["annotations"] as? [String: String])?["org.example.key"] == "value", "\(s)")
    }
}
