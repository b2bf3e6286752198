import CSeccomp
import Glibc
import OCI
import Testing
@testable import Seccomp

private func profile(_ syscalls: [LinuxSyscall]) -> LinuxSeccomp {
    profile("SCMP_ACT_ALLOW", syscalls)
}

private func profile(_ defaultAction: String, _ syscalls: [LinuxSyscall]) -> LinuxSeccomp {
    var p = LinuxSeccomp(defaultAction: defaultAction)
    p.syscalls = syscalls
    return p
}

private func compileError(_ p: LinuxSeccomp) -> SeccompError? {
    do {
        _ = try SeccompCompiler.compile(p)
        return nil
    } catch {
        return error
    }
}

private func nr(_ name: String) -> Int {
    Int(seccomp_syscall_resolve_name(name))
}

/// Loads `filter` in a forked child (C only after fork), calls syscall `name`, returns the
/// child's exit code: the errno, 0, 255 for a load failure, 256 + signal when killed.
private func run(_ compiled: CompiledSeccomp, _ name: String, _ a0: Int = 0, _ a1: Int = 0) -> Int32 {
    compiled.filter.withUnsafeBytes {
        cseccomp_test_apply_and_syscall($0.baseAddress, $0.count, 0, nr(name), a0, a1, 0, 0, 0, 0)
    }
}

// Serialized: libseccomp caches its kernel probes in unlocked globals.
@Suite(.serialized) struct SeccompCompilerTests {
    @Test func compilesASmallProfile() throws {
        var p = profile([
            LinuxSyscall(names: ["uname", "mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38),
            LinuxSyscall(names: ["ptrace"], action: "SCMP_ACT_KILL_PROCESS"),
            LinuxSyscall(names: ["personality"], action: "SCMP_ACT_ALLOW"),  // same as default: skipped
            LinuxSyscall(names: ["kexec_load"], action: "SCMP_ACT_TRAP"),
            LinuxSyscall(names: ["acct"], action: "SCMP_ACT_LOG"),
            LinuxSyscall(names: ["reboot"], action: "SCMP_ACT_TRACE"),
            LinuxSyscall(names: ["swapon"], action: "SCMP_ACT_KILL"),
            LinuxSyscall(names: ["swapoff"], action: "SCMP_ACT_KILL_THREAD"),
        ])
        p.flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                   "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
        let c = try SeccompCompiler.compile(p)
        #expect(!c.filter.isEmpty)
        #expect(c.filter.count % 8 == 0)
        #expect(c.instructionCount > 5)
        #expect(c.flags == 1 | 2 | 4 | 32)
        #expect(!c.needsNotify)
        #expect(c.skippedSyscalls.isEmpty)
    }

    @Test func noFlagsMeansZero() throws {
        let c = try SeccompCompiler.compile(profile([]))
        #expect(c.flags == 0)
        #expect(c.filter.count % 8 == 0 && !c.filter.isEmpty)
    }

    @Test func moreArchitecturesMakeALargerFilter() throws {
        var p = profile([LinuxSyscall(names: ["uname"], action: "SCMP_ACT_ERRNO")])
        let native = try SeccompCompiler.compile(p)
        p.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
        let multi = try SeccompCompiler.compile(p)
        #expect(multi.filter.count > native.filter.count)
        #expect(multi.filter.count % 8 == 0)
    }

    @Test func unknownSyscallsAreSkipped() throws {
        let c = try SeccompCompiler.compile(profile([
            LinuxSyscall(names: ["uname", "no_such_syscall", "no_such_syscall"], action: "SCMP_ACT_ERRNO"),
            LinuxSyscall(names: ["another_fake"], action: "SCMP_ACT_KILL"),
        ]))
        #expect(c.skippedSyscalls == ["no_such_syscall", "another_fake"])
        #expect(!c.filter.isEmpty)
    }

    @Test func notifyCompilesAndIsReported() throws {
        let c = try SeccompCompiler.compile(profile([LinuxSyscall(names: ["mknod"], action: "SCMP_ACT_NOTIFY")]))
        #expect(c.needsNotify)
        #expect(!c.filter.isEmpty)
        let e = compileError(profile("SCMP_ACT_NOTIFY", []))
        #expect(e?.field == "linux.seccomp.defaultAction")
    }

    @Test func badActionNamesTheField() {
        let e = compileError(profile([
            LinuxSyscall(names: ["uname"], action: "SCMP_ACT_ALLOW"),
            LinuxSyscall(names: ["uname"], action: "SCMP_ACT_ALLOW"),
            LinuxSyscall(names: ["uname"], action: "SCMP_ACT_ALLOW"),
            LinuxSyscall(names: ["uname"], action: "SCMP_ACT_FOO"),
        ]))
        #expect(e?.description == #"linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO""#)
        let d = compileError(profile("SCMP_ACT_BAR", []))
        #expect(d?.description == #"linux.seccomp.defaultAction: unknown action "SCMP_ACT_BAR""#)
    }

    @Test func badArchitectureNamesTheField() {
        var p = profile([])
        p.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]
        #expect(compileError(p)?.description == #"linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX""#)
    }

    @Test func badOperatorAndIndexNameTheField() {
        let op = compileError(profile([
            LinuxSyscall(names: ["uname"], action: "SCMP_ACT_ERRNO", args: [
                LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_EQ"),
                LinuxSeccompArg(index: 1, value: 1, op: "SCMP_CMP_APPROX"),
            ]),
        ]))
        #expect(op?.description == #"linux.seccomp.syscalls[0].args[1].op: unknown operator "SCMP_CMP_APPROX""#)
        let index = compileError(profile([
            LinuxSyscall(names: ["uname"], action: "SCMP_ACT_ERRNO", args: [LinuxSeccompArg(index: 6, value: 1, op: "SCMP_CMP_EQ")]),
        ]))
        #expect(index?.field == "linux.seccomp.syscalls[0].args[0].index")
    }

    @Test func badFlagNamesTheField() {
        var p = profile([])
        p.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE"]
        #expect(compileError(p)?.description == #"linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_NOPE""#)
    }

    @Test func everyOperatorCompiles() throws {
        for op in LinuxSeccomp.knownOperators {
            let c = try SeccompCompiler.compile(profile([
                LinuxSyscall(names: ["getpriority"], action: "SCMP_ACT_ERRNO",
                             args: [LinuxSeccompArg(index: 1, value: 0xff, valueTwo: 0x0f, op: op)]),
            ]))
            #expect(c.filter.count % 8 == 0, "\(op)")
        }
        for action in LinuxSeccomp.knownActions where action != "SCMP_ACT_NOTIFY" {
            _ = try SeccompCompiler.compile(profile(action == "SCMP_ACT_ALLOW" ? "SCMP_ACT_LOG" : "SCMP_ACT_ALLOW", [
                LinuxSyscall(names: ["uname"], action: action),
            ]))
        }
    }

    // MARK: filters loaded in a forked C-only child

    @Test func errnoRuleMakesUnameFail() throws {
        let c = try SeccompCompiler.compile(profile([LinuxSyscall(names: ["uname"], action: "SCMP_ACT_ERRNO", errnoRet: 38)]))
        let code = c.filter.withUnsafeBytes { cseccomp_test_apply_and_call_getpid($0.baseAddress, $0.count) }
        #expect(code == 38)
        let allow = try SeccompCompiler.compile(profile([]))
        #expect(allow.filter.withUnsafeBytes { cseccomp_test_apply_and_call_getpid($0.baseAddress, $0.count) } == 0)
    }

    @Test func errnoDefaultsToEPERM() throws {
        let c = try SeccompCompiler.compile(profile([LinuxSyscall(names: ["uname"], action: "SCMP_ACT_ERRNO")]))
        #expect(run(c, "uname") == EPERM)
    }

    @Test func defaultErrnoRetAppliesToTheDefault() throws {
        var p = profile("SCMP_ACT_ERRNO", [LinuxSyscall(names: ["exit", "exit_group"], action: "SCMP_ACT_ALLOW")])
        p.defaultErrnoRet = 38
        #expect(run(try SeccompCompiler.compile(p), "uname") == 38)
    }

    @Test func killProcessKillsWithSIGSYS() throws {
        let c = try SeccompCompiler.compile(profile([LinuxSyscall(names: ["uname"], action: "SCMP_ACT_KILL_PROCESS")]))
        #expect(run(c, "uname") == 256 + SIGSYS)
    }

    @Test func sameIndexArgsAreAlternatives() throws {
        // getpriority(which, who): which 1 (PRIO_PGRP) or 2 (PRIO_USER) → EINVAL(22).
        let c = try SeccompCompiler.compile(profile([
            LinuxSyscall(names: ["getpriority"], action: "SCMP_ACT_ERRNO", errnoRet: 22, args: [
                LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_EQ"),
                LinuxSeccompArg(index: 0, value: 2, op: "SCMP_CMP_EQ"),
            ]),
        ]))
        #expect(run(c, "getpriority", 1, 0) == 22)
        #expect(run(c, "getpriority", 2, 0) == 22)
        #expect(run(c, "getpriority", 0, 0) == 0)
    }

    @Test func differentIndexArgsMustAllHold() throws {
        // which == 0 AND (who & 0xff00) == 0x1200 → 33.
        let c = try SeccompCompiler.compile(profile([
            LinuxSyscall(names: ["getpriority"], action: "SCMP_ACT_ERRNO", errnoRet: 33, args: [
                LinuxSeccompArg(index: 0, value: 0, op: "SCMP_CMP_EQ"),
                LinuxSeccompArg(index: 1, value: 0xff00, valueTwo: 0x1200, op: "SCMP_CMP_MASKED_EQ"),
            ]),
        ]))
        #expect(run(c, "getpriority", 0, 0x1234) == 33)
        #expect(run(c, "getpriority", 0, 0x34) != 33)
        #expect(run(c, "getpriority", 1, 0x1234) != 33)
        #expect(run(c, "getpriority", 0, 0) == 0)
    }

    @Test func compareOperatorsWork() throws {
        // who > 100 → 34; who < 5 is allowed (0 = self).
        let c = try SeccompCompiler.compile(profile([
            LinuxSyscall(names: ["getpriority"], action: "SCMP_ACT_ERRNO", errnoRet: 34, args: [
                LinuxSeccompArg(index: 1, value: 100, op: "SCMP_CMP_GT"),
            ]),
            LinuxSyscall(names: ["getpriority"], action: "SCMP_ACT_ERRNO", errnoRet: 35, args: [
                LinuxSeccompArg(index: 0, value: 0, op: "SCMP_CMP_NE"),
            ]),
        ]))
        #expect(run(c, "getpriority", 0, 101) == 34)
        #expect(run(c, "getpriority", 2, 0) == 35)
        #expect(run(c, "getpriority", 0, 0) == 0)
    }

    // MARK: the default profile (DefaultSeccompProfile, what `husk spec` writes)

    @Test func defaultProfileCompilesForEveryCapabilitySet() throws {
        for caps in [[], ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"], Capabilities.allNames] {
            let c = try SeccompCompiler.compile(DefaultSeccompProfile.make(capabilities: caps))
            #expect(c.instructionCount > 100, "\(caps.count) capabilities")
            #expect(!c.needsNotify)
            // Names this libseccomp does not know are skipped, never the core ones.
            for core in ["read", "write", "execve", "clone", "openat", "mkdir", "mkdirat"] {
                #expect(!c.skippedSyscalls.contains(core))
            }
        }
    }

    @Test func defaultProfileRefusesWithENOSYSAndAllowsTheCommonCalls() throws {
        let c = try SeccompCompiler.compile(DefaultSeccompProfile.make(capabilities: ["CAP_KILL"]))
        let enosys = Int32(ENOSYS)
        #expect(run(c, "getpid") == 0)
        #expect(run(c, "getppid") == 0)
        for name in ["keyctl", "add_key", "request_key", "unshare", "setns", "mount", "umount2", "bpf",
                     "perf_event_open", "kexec_load", "open_by_handle_at", "init_module", "delete_module",
                     "pivot_root", "clone3", "chroot", "reboot", "syslog", "userfaultfd"] {
            #expect(run(c, name, 0, 0) == enosys, "\(name)")
        }
        // clone with a namespace flag is refused; without one it is allowed (not called here).
        #expect(run(c, "clone", 0x1000_0000) == enosys)
        #expect(run(c, "clone", 0x0002_0000 | Int(SIGCHLD)) == enosys)
        // personality: the query and PER_LINUX pass, ADDR_NO_RANDOMIZE (0x0040000) does not.
        #expect(run(c, "personality", 0xffff_ffff) == 0)
        #expect(run(c, "personality", 0x0040000) == enosys)
        // AF_VSOCK sockets are refused.
        #expect(run(c, "socket", 40, 1) == enosys)
    }

    @Test func defaultProfileWithSysAdminAllowsNamespaces() throws {
        let c = try SeccompCompiler.compile(DefaultSeccompProfile.make(capabilities: ["CAP_SYS_ADMIN"]))
        #expect(run(c, "unshare", 0) == 0, "unshare(0) is allowed and does nothing")
        #expect(run(c, "keyctl", 0, 0) == Int32(ENOSYS), "the keyring stays closed")
    }
}
