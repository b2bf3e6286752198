import CHusk
import Glibc
import Testing
@testable import Runtime

/// Launcher.initError: the child's error report, as a user reads it.
@Suite struct InitErrorTests {
    static func message(stage: String, detail: String, errno: Int32) -> husk_msg {
        var msg = husk_msg()
        msg.kind = Int32(HUSK_MSG_ERROR.rawValue)
        msg.err = errno
        withUnsafeMutableBytes(of: &msg.stage) { buffer in
            for (i, byte) in stage.utf8.prefix(buffer.count - 1).enumerated() { buffer[i] = byte }
        }
        withUnsafeMutableBytes(of: &msg.detail) { buffer in
            for (i, byte) in detail.utf8.prefix(buffer.count - 1).enumerated() { buffer[i] = byte }
        }
        return msg
    }

    @Test func stageDetailAndErrnoText() {
        let error = Launcher.initError(Self.message(stage: "mount", detail: "proc on /proc", errno: EPERM))
        #expect(error.exitCode == 1)
        #expect(error.message == "container init failed at stage \"mount\": proc on /proc: Operation not permitted")
    }

    @Test func noErrnoMeansNoErrnoText() {
        let error = Launcher.initError(Self.message(stage: "seccomp", detail: "filter rejected", errno: 0))
        #expect(error.message == "container init failed at stage \"seccomp\": filter rejected")
        #expect(error.exitCode == 1)
    }

    @Test func execNotFoundIs127() {
        let error = Launcher.initError(Self.message(stage: "exec", detail: "nosuchprogram", errno: ENOENT))
        #expect(error.exitCode == 127)
        #expect(error.message.contains("executable file not found in $PATH"))
        #expect(error.message.contains("\"nosuchprogram\""))
    }

    @Test func execPermissionDeniedIs126() {
        let error = Launcher.initError(Self.message(stage: "exec", detail: "/etc/passwd", errno: EACCES))
        #expect(error.exitCode == 126)
        #expect(error.message.contains("permission denied"))
        #expect(error.message.contains("/etc/passwd"))
    }

    @Test func otherExecErrorsAre126WithErrnoText() {
        let error = Launcher.initError(Self.message(stage: "exec", detail: "/bin/x", errno: ENOEXEC))
        #expect(error.exitCode == 126)
        #expect(error.message.contains("Exec format error"))
    }

    @Test func fullLengthFieldsAreNotOverread() {
        // Fields filled to the last byte (no NUL) must still decode to at most their size.
        var msg = husk_msg()
        msg.err = EIO
        _ = withUnsafeMutableBytes(of: &msg.stage) { $0.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "s")) }
        _ = withUnsafeMutableBytes(of: &msg.detail) { $0.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "d")) }
        let error = Launcher.initError(msg)
        #expect(error.message.contains(String(repeating: "s", count: 64) + "\""))
        #expect(error.message.contains(String(repeating: "d", count: Int(HUSK_DETAIL_MAX)) + ": "))
        #expect(!error.message.contains("sd"))
    }
}
