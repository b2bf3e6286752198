import Glibc
import Testing
import OCI

@Suite struct CapabilitiesTests {
    @Test func numbersFollowLinux() {
        #expect(Capabilities.number(of: "CAP_CHOWN") == 0)
        #expect(Capabilities.number(of: "CAP_KILL") == 5)
        #expect(Capabilities.number(of: "CAP_NET_BIND_SERVICE") == 10)
        #expect(Capabilities.number(of: "CAP_SYS_ADMIN") == 21)
        #expect(Capabilities.number(of: "CAP_AUDIT_WRITE") == 29)
        #expect(Capabilities.number(of: "CAP_AUDIT_READ") == 37)
        #expect(Capabilities.number(of: "CAP_CHECKPOINT_RESTORE") == 40)
        #expect(Capabilities.last == 40)
        #expect(Capabilities.allNames.count == 41)
        #expect(Set(Capabilities.allNames).count == 41)
    }

    @Test func unknownNamesHaveNoNumber() {
        #expect(Capabilities.number(of: "CAP_TEST") == nil)
        #expect(Capabilities.number(of: "chown") == nil)
        #expect(Capabilities.number(of: "") == nil)
    }

    @Test func masksSetOneBitPerCapability() throws {
        #expect(try Capabilities.mask([]) == 0)
        #expect(try Capabilities.mask(["CAP_CHOWN"]) == 1)
        #expect(try Capabilities.mask(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
            == (1 << 29) | (1 << 5) | (1 << 10))
        #expect(try Capabilities.mask(["CAP_KILL", "CAP_KILL"]) == 1 << 5)
        #expect(try Capabilities.mask(Capabilities.allNames) == (1 << 41) - 1)
    }

    @Test func maskRejectsUnknownNames() {
        #expect(throws: Capabilities.UnknownCapability(name: "CAP_TEST")) {
            try Capabilities.mask(["CAP_KILL", "CAP_TEST"])
        }
        #expect(Capabilities.UnknownCapability(name: "CAP_TEST").description == #"unknown capability "CAP_TEST""#)
    }
}

@Suite struct RlimitsTests {
    @Test func resourceNumbersMatchGlibc() {
        let expected: [(String, Int32)] = [
            ("RLIMIT_CPU", Int32(RLIMIT_CPU.rawValue)), ("RLIMIT_FSIZE", Int32(RLIMIT_FSIZE.rawValue)),
            ("RLIMIT_DATA", Int32(RLIMIT_DATA.rawValue)), ("RLIMIT_STACK", Int32(RLIMIT_STACK.rawValue)),
            ("RLIMIT_CORE", Int32(RLIMIT_CORE.rawValue)), ("RLIMIT_RSS", Int32(__RLIMIT_RSS.rawValue)),
            ("RLIMIT_NPROC", Int32(__RLIMIT_NPROC.rawValue)), ("RLIMIT_NOFILE", Int32(RLIMIT_NOFILE.rawValue)),
            ("RLIMIT_MEMLOCK", Int32(__RLIMIT_MEMLOCK.rawValue)), ("RLIMIT_AS", Int32(RLIMIT_AS.rawValue)),
            ("RLIMIT_LOCKS", Int32(__RLIMIT_LOCKS.rawValue)), ("RLIMIT_SIGPENDING", Int32(__RLIMIT_SIGPENDING.rawValue)),
            ("RLIMIT_MSGQUEUE", Int32(__RLIMIT_MSGQUEUE.rawValue)), ("RLIMIT_NICE", Int32(__RLIMIT_NICE.rawValue)),
            ("RLIMIT_RTPRIO", Int32(__RLIMIT_RTPRIO.rawValue)), ("RLIMIT_RTTIME", Int32(__RLIMIT_RTTIME.rawValue)),
        ]
        for (name, number) in expected {
            #expect(Rlimits.resource(of: name) == number, "\(name)")
        }
        #expect(Rlimits.resources.count == 16)
    }

    @Test func unknownNamesHaveNoNumber() {
        #expect(Rlimits.resource(of: "RLIMIT_FOO") == nil)
        #expect(Rlimits.resource(of: "NOFILE") == nil)
    }
}
