import Testing
@testable import Runtime

@Suite struct ExitStatusTests {
    @Test func normalExit() {
        let zero = ExitStatus(raw: 0)
        #expect(zero.signal == nil)
        #expect(zero.code == 0)
        #expect(zero.description == "exit status 0")

        let three = ExitStatus(raw: 3 << 8)
        #expect(three.signal == nil)
        #expect(three.code == 3)
        #expect(three.description == "exit status 3")

        #expect(ExitStatus(raw: 255 << 8).code == 255)
    }

    @Test func killedBySignal() {
        let killed = ExitStatus(raw: 9)
        #expect(killed.signal == 9)
        #expect(killed.code == 137)
        #expect(killed.description == "killed by signal 9 (SIGKILL)")

        let term = ExitStatus(raw: 15)
        #expect(term.code == 143)
        #expect(term.description == "killed by signal 15 (SIGTERM)")
    }

    @Test func coreDumpFlagIsIgnored() {
        let segv = ExitStatus(raw: 0x80 | 11)
        #expect(segv.signal == 11)
        #expect(segv.code == 139)
        #expect(segv.description.contains("SIGSEGV"))
    }

    @Test func stoppedIsNotASignalDeath() {
        // WIFSTOPPED: low byte 0x7f, stop signal in the next byte.
        #expect(ExitStatus(raw: (19 << 8) | 0x7f).signal == nil)
    }
}
