import Testing
@testable import Runtime

@Suite struct HuskErrorTests {
    @Test func wrapKeepsExitCode() {
        let inner = HuskError("exec failed", exitCode: 127)
        let wrapped = HuskError.wrap(inner, "run")
        #expect(wrapped.message == "run: exec failed")
        #expect(wrapped.exitCode == 127)
        #expect(wrapped.description == wrapped.message)
    }

    @Test func wrapOtherErrors() {
        struct Other: Error, CustomStringConvertible { var description: String { "boom" } }
        let wrapped = HuskError.wrap(Other(), "create")
        #expect(wrapped.message == "create: boom")
        #expect(wrapped.exitCode == 1)
    }
}
