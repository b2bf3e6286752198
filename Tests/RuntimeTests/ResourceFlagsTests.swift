import JSON
import Runtime
import Testing

@Suite struct ResourceFlagsTests {
    @Test(arguments: [
        ("1024", Int64(1024)), ("0", 0), ("-1", -1),
        ("64k", 65536), ("64K", 65536), ("64kb", 65536), ("64KiB", 65536), ("64 k", 65536),
        ("64m", 67_108_864), ("64M", 67_108_864), ("64MB", 67_108_864), ("64mib", 67_108_864),
        ("1g", 1_073_741_824), ("1.5g", 1_610_612_736), ("2t", 2_199_023_255_552), ("1p", 1_125_899_906_842_624),
        ("100b", 100), ("0.5k", 512),
    ])
    func ramInBytesAcceptsRuncForms(_ text: String, _ bytes: Int64) {
        #expect(ResourceFlags.ramInBytes(text) == bytes)
    }

    @Test(arguments: ["", "lots", "-2", "-5m", "1x", "m", "1..5m", ".5m", "5.m", "1e6", "99999999999p", "1 2m", "0x10"])
    func ramInBytesRefusesOthers(_ text: String) {
        #expect(ResourceFlags.ramInBytes(text) == nil)
    }

    @Test(arguments: [("5s", 5000), ("100ms", 100), ("1m30s", 90_000), ("1.5s", 1500), ("2h", 7_200_000), ("250us", 1)])
    func durations(_ text: String, _ ms: Int) {
        #expect(ResourceFlags.durationMilliseconds(text) == ms)
    }

    @Test(arguments: ["", "5", "0", "0s", "-1s", "5x", "s", "1.2.3s"])
    func badDurations(_ text: String) {
        #expect(ResourceFlags.durationMilliseconds(text) == nil)
    }

    @Test func flagsOverrideAndExtendTheResourcesObject() throws {
        let base = try JSON.parse(#"{"memory": {"limit": 1000, "swap": 2000}, "pids": {"limit": 5}}"#)
        let merged = try ResourceFlags.merge(base, flags: [("memory", "2k"), ("cpu-share", "512"), ("cpuset-cpus", "0-1"),
                                                           ("pids-limit", "-1"), ("blkio-weight", "300")])
        let o = try #require(merged.object)
        #expect(o["memory"]?.object?["limit"] == .int(2048))
        #expect(o["memory"]?.object?["swap"] == .int(2000))
        #expect(o["cpu"]?.object?["shares"] == .int(512))
        #expect(o["cpu"]?.object?["cpus"] == .string("0-1"))
        #expect(o["pids"]?.object?["limit"] == .int(-1))
        #expect(o["blockIO"]?.object?["weight"] == .int(300))
    }

    @Test func badFlagValuesNameTheFlag() {
        #expect(throws: HuskError.self) { try ResourceFlags.merge(nil, flags: [("cpu-period", "-5")]) }
        do {
            _ = try ResourceFlags.merge(nil, flags: [("memory", "lots")])
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("--memory"))
        }
        #expect(throws: HuskError.self) { try ResourceFlags.merge(.array([]), flags: []) }
    }
}
