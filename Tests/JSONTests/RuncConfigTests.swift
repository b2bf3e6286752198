import Testing
import JSON

@Suite struct RuncConfigTests {
    @Test func parsesRuncStyleConfig() throws {
        let config = try JSON.parse(runcConfigJSON)
        let root = try #require(config.object)
        #expect(root.keys == ["ociVersion", "process", "root", "hostname", "mounts", "hooks", "annotations", "linux"])
        let process = try #require(root["process"]?.object)
        #expect(process["args"]?.array?.last == "echo \"hello\" && exit 0")
        #expect(process["env"]?.array?.last == .string("GREETING=grüße 😀"))
        #expect(process["rlimits"]?.array?[1].object?["hard"]?.uint64 == UInt64.max)
        #expect(process["oomScoreAdj"]?.int32 == -500)
        #expect(root["mounts"]?.array?.count == 7)
        #expect(root["annotations"]?.object?["org.example.note"] == "line\nbreak")
        let seccomp = try #require(root["linux"]?.object?["seccomp"]?.object)
        #expect(seccomp["syscalls"]?.array?[1].object?["args"]?.array?[0].object?["value"]?.uint64 == 131080)
    }

    @Test func roundTripsRuncStyleConfig() throws {
        let config = try JSON.parse(runcConfigJSON)
        #expect(try JSON.parse(JSON.serialize(config, pretty: true)) == config)
        #expect(try JSON.parse(JSON.serialize(config)) == config)
    }

    @Test func parsesQuicklyEnoughForTheStartPath() throws {
        let bytes = Array(runcConfigJSON.utf8)
        _ = try JSON.parse(bytes)
        let clock = ContinuousClock()
        let rounds = 200
        let elapsed = try clock.measure {
            for _ in 0..<rounds { _ = try JSON.parse(bytes) }
        }
        // Release builds take tens of microseconds; this generous bound also holds for debug builds.
        #expect(elapsed / rounds < .milliseconds(5))
    }
}
