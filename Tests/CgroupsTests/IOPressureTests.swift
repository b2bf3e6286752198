import Testing
@testable import Cgroups

/// PSI and IO byte counters as the sandbox report reads them (parsing only, no cgroups needed).
@Suite struct IOPressureTests {
    @Test func pressureWithAndWithoutFull() {
        let p = Pressure.parse("some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\nfull avg10=0.10 avg60=0.00 avg300=0.00 total=77\n")
        #expect(p?.some.avg10 == 1.5 && p?.some.avg60 == 0.25 && p?.some.total == 12345)
        #expect(p?.full?.avg10 == 0.1 && p?.full?.total == 77)
        let cpuOnly = Pressure.parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n")
        #expect(cpuOnly?.some.total == 5 && cpuOnly?.full == nil)
        #expect(Pressure.parse("") == nil)
        #expect(Pressure.parse("garbage\n") == nil)
    }

    @Test func ioBytesV2SumsDevices() {
        let (r, w) = IOBytes.parseV2("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=100 wbytes=0 rios=1 wios=0\n")
        #expect(r == 4196 && w == 8192)
        #expect(IOBytes.parseV2("") == (0, 0))
    }

    @Test func ioBytesV1SumsReadAndWriteLinesOnly() {
        let text = "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:0 Async 4608\n8:0 Discard 0\n8:0 Total 4608\n8:16 Read 10\n8:16 Write 0\nTotal 4618\n"
        let counted = IOBytes.parseV1(text)
        #expect(counted?.read == 4106 && counted?.written == 512)
        // No device lines: the kernel did not count (no throttle rule on the queue), not zero bytes.
        #expect(IOBytes.parseV1("Total 0\n") == nil)
    }
}
