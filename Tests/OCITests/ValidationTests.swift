import JSON
import Testing
@testable import OCI

/// A valid config to break one rule at a time: `runc spec` plus a user namespace slot to fill.
func baseSpec() throws -> Spec {
    try Spec(json: DefaultSpec.make(rootless: false))
}

/// The validation messages for `spec` after `change`.
func validationMessages(_ change: (inout Spec) -> Void) throws -> [String] {
    var spec = try baseSpec()
    change(&spec)
    return spec.validationErrors().map(\.description)
}

@Suite struct ValidationTests {
    @Test func acceptsTheDefaultSpecs() throws {
        #expect(try validationMessages { _ in } == [])
        let rootless = try Spec(json: DefaultSpec.make(rootless: true, uid: 1000, gid: 1000))
        #expect(rootless.validationErrors().isEmpty)
    }

    @Test func validateThrowsTheFirstError() throws {
        var spec = try baseSpec()
        spec.ociVersion = "2.0.0"
        spec.root = nil
        #expect { try spec.validate() } throws: { error in
            (error as? SpecError)?.fieldPath == "ociVersion"
        }
        #expect(spec.validationErrors().count == 2)
    }

    // MARK: ociVersion

    @Test(arguments: ["1.0.0", "1.0.2-dev", "1.1.0", "1.2.0", "1.2.1", "1.1.0-rc.2", "1.2.0+build.5"])
    func acceptsVersion(_ version: String) throws {
        #expect(try validationMessages { $0.ociVersion = version } == [])
    }

    @Test func rejectsBadVersions() throws {
        #expect(try validationMessages { $0.ociVersion = "2.0.0" }
            == [#"config.json: ociVersion: unsupported version "2.0.0", husk supports 1.x (1.0.0 to 1.2.0)"#])
        #expect(try validationMessages { $0.ociVersion = "abc" }
            == [#"config.json: ociVersion: "abc" is not a semantic version like "1.2.0""#])
        #expect(try validationMessages { $0.ociVersion = "1.0" }
            == [#"config.json: ociVersion: "1.0" is not a semantic version like "1.2.0""#])
        #expect(try validationMessages { $0.ociVersion = "" } == ["config.json: ociVersion: required field is missing"])
        #expect(try validationMessages { $0.ociVersion = "0.9.0" }.count == 1)
    }

    // MARK: root

    @Test func requiresRootPath() throws {
        #expect(try validationMessages { $0.root = nil } == ["config.json: root: required field is missing"])
        #expect(try validationMessages { $0.root?.path = "" } == ["config.json: root.path: must not be empty"])
        #expect(try validationMessages { $0.root?.path = "/abs/rootfs" } == [])
    }

    // MARK: process

    @Test func acceptsAConfigWithoutProcess() throws {
        #expect(try validationMessages { $0.process = nil } == [])
    }

    @Test func requiresArgs() throws {
        #expect(try validationMessages { $0.process?.args = [] }
            == ["config.json: process.args: must name a program to run"])
    }

    @Test func requiresAbsoluteCwd() throws {
        #expect(try validationMessages { $0.process?.cwd = "tmp" }
            == [#"config.json: process.cwd: must be an absolute path, found "tmp""#])
        #expect(try validationMessages { $0.process?.cwd = "" } == ["config.json: process.cwd: must not be empty"])
        #expect(try validationMessages { $0.process?.cwd = "/tmp" } == [])
    }

    @Test func requiresEnvEntriesWithEquals() throws {
        #expect(try validationMessages { $0.process?.env = ["A=1", "B", "=x", "C="] } == [
            #"config.json: process.env[1]: "B" is not of the form NAME=value"#,
            #"config.json: process.env[2]: "=x" has an empty name"#,
        ])
    }

    @Test func rejectsUnknownCapabilities() throws {
        #expect(try validationMessages { $0.process?.capabilities?.permitted.append("CAP_TEST") }
            == [#"config.json: process.capabilities.permitted[3]: unknown capability "CAP_TEST""#])
        #expect(try validationMessages { $0.process?.capabilities?.ambient = ["cap_kill"] }
            == [#"config.json: process.capabilities.ambient[0]: unknown capability "cap_kill""#])
        #expect(try validationMessages { $0.process?.capabilities?.bounding = Capabilities.allNames } == [])
    }

    @Test func checksRlimits() throws {
        #expect(try validationMessages { $0.process?.rlimits = [Rlimit(type: "RLIMIT_FOO", hard: 1, soft: 1)] }
            == [#"config.json: process.rlimits[0].type: unknown resource limit "RLIMIT_FOO""#])
        #expect(try validationMessages { $0.process?.rlimits = [Rlimit(type: "RLIMIT_NOFILE", hard: 1, soft: 2)] }
            == ["config.json: process.rlimits[0].soft: soft limit 2 is above the hard limit 1"])
        #expect(try validationMessages {
            $0.process?.rlimits = [Rlimit(type: "RLIMIT_CORE", hard: 1, soft: 1), Rlimit(type: "RLIMIT_CORE", hard: 2, soft: 2)]
        } == [#"config.json: process.rlimits[1].type: duplicate resource limit "RLIMIT_CORE""#])
        #expect(try validationMessages {
            $0.process?.rlimits = Rlimits.resources.keys.sorted().map { Rlimit(type: $0, hard: .max, soft: 0) }
        } == [])
    }

    @Test func checksScheduler() throws {
        #expect(try validationMessages { $0.process?.scheduler = Scheduler(policy: "SCHED_FIFO") } == [])
        #expect(try validationMessages { $0.process?.scheduler = Scheduler(policy: "SCHED_FAST") }
            == [#"config.json: process.scheduler.policy: unknown scheduling policy "SCHED_FAST""#])
        #expect(try validationMessages {
            var scheduler = Scheduler(policy: "SCHED_OTHER")
            scheduler.flags = ["SCHED_FLAG_RECLAIM", "SCHED_FLAG_NOPE"]
            scheduler.nice = 20
            $0.process?.scheduler = scheduler
        } == [
            #"config.json: process.scheduler.flags[1]: unknown scheduler flag "SCHED_FLAG_NOPE""#,
            "config.json: process.scheduler.nice: must be between -20 and 19, found 20",
        ])
    }

    @Test func checksIOPriority() throws {
        #expect(try validationMessages { $0.process?.ioPriority = IOPriority(class: "IOPRIO_CLASS_IDLE", priority: 7) } == [])
        #expect(try validationMessages { $0.process?.ioPriority = IOPriority(class: "IOPRIO_CLASS_FAST", priority: 8) } == [
            #"config.json: process.ioPriority.class: unknown I/O priority class "IOPRIO_CLASS_FAST""#,
            "config.json: process.ioPriority.priority: must be between 0 and 7, found 8",
        ])
    }

    @Test func checksOomScoreAdj() throws {
        #expect(try validationMessages { $0.process?.oomScoreAdj = -1000 } == [])
        #expect(try validationMessages { $0.process?.oomScoreAdj = 1001 }
            == ["config.json: process.oomScoreAdj: must be between -1000 and 1000, found 1001"])
    }

    // MARK: mounts

    @Test func requiresAbsoluteMountDestinations() throws {
        #expect(try validationMessages { $0.mounts[2].destination = "dev/pts" }
            == [#"config.json: mounts[2].destination: must be an absolute path, found "dev/pts""#])
        #expect(try validationMessages { $0.mounts.append(Mount(destination: "", type: "tmpfs")) }
            == ["config.json: mounts[7].destination: must not be empty"])
    }

    @Test func requiresMountMappingsInPairs() throws {
        #expect(try validationMessages {
            var mount = Mount(destination: "/data", type: "bind", source: "/src", options: ["bind", "idmap"])
            mount.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
            $0.mounts.append(mount)
        } == ["config.json: mounts[7]: uidMappings and gidMappings must be given together"])
    }

    // MARK: hooks

    @Test func checksHooks() throws {
        #expect(try validationMessages {
            var hooks = Hooks()
            hooks.createRuntime = [Hook(path: "/bin/ok", timeout: 1), Hook(path: "relative")]
            hooks.poststop = [Hook(path: "/bin/x", timeout: 0)]
            $0.hooks = hooks
        } == [
            #"config.json: hooks.createRuntime[1].path: must be an absolute path, found "relative""#,
            "config.json: hooks.poststop[0].timeout: must be greater than zero, found 0",
        ])
    }

    // MARK: linux

    @Test func checksNamespaces() throws {
        #expect(try validationMessages { $0.linux?.namespaces.append(LinuxNamespace(.time)) } == [])
        #expect(try validationMessages {
            $0.linux?.namespaces.append(LinuxNamespace(.pid, path: "/proc/1/ns/pid"))
        } == [#"config.json: linux.namespaces[5].type: duplicate namespace "pid""#])
        #expect(try validationMessages {
            var bogus = LinuxNamespace(.pid)
            bogus.type = "net"
            $0.linux?.namespaces.append(bogus)
        } == [#"config.json: linux.namespaces[5].type: unknown namespace type "net""#])
        #expect(try validationMessages {
            $0.linux?.namespaces = [LinuxNamespace(.network, path: "proc/1/ns/net")]
        } == [#"config.json: linux.namespaces[0].path: must be an absolute path, found "proc/1/ns/net""#])
    }

    @Test func mappingsRequireAUserNamespace() throws {
        let mapping = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        #expect(try validationMessages {
            $0.linux?.uidMappings = mapping
            $0.linux?.gidMappings = mapping
        } == [
            "config.json: linux.uidMappings: requires a user namespace in linux.namespaces",
            "config.json: linux.gidMappings: requires a user namespace in linux.namespaces",
        ])
        #expect(try validationMessages {
            $0.linux?.uidMappings = mapping
            $0.linux?.gidMappings = mapping
            $0.linux?.namespaces.append(LinuxNamespace(.user))
        } == [])
    }

    @Test func checksUserNamespaceMappings() throws {
        func messages(uid: [LinuxIDMapping], gid: [LinuxIDMapping] = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]) throws -> [String] {
            try validationMessages {
                $0.linux?.uidMappings = uid
                $0.linux?.gidMappings = gid
                $0.linux?.namespaces.append(LinuxNamespace(.user))
            }
        }
        #expect(try messages(uid: [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1),
                                   LinuxIDMapping(containerID: 1, hostID: 100000, size: 65536)]) == [])
        #expect(try messages(uid: [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536),
                                   LinuxIDMapping(containerID: 1000, hostID: 5000, size: 10)])
            == ["config.json: linux.uidMappings[1]: container ids 1000-1009 overlap those of uidMappings[0] (0-65535)"])
        #expect(try messages(uid: [LinuxIDMapping(containerID: 0, hostID: 100000, size: 10),
                                   LinuxIDMapping(containerID: 10, hostID: 100005, size: 10)])
            == ["config.json: linux.uidMappings[1]: host ids 100005-100014 overlap those of uidMappings[0] (100000-100009)"])
        #expect(try messages(uid: [LinuxIDMapping(containerID: 0, hostID: 1000, size: 0)])
            == ["config.json: linux.uidMappings[0]: size must be greater than zero"])
        #expect(try messages(uid: [LinuxIDMapping(containerID: 0, hostID: 4_294_967_000, size: 1000)])
            == ["config.json: linux.uidMappings[0]: host ids 4294967000-4294967999 go past the largest id 4294967294"])
        #expect(try messages(uid: [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)],
                             gid: [LinuxIDMapping(containerID: 4_294_967_295, hostID: 0, size: 1)])
            == ["config.json: linux.gidMappings[0]: container ids 4294967295 go past the largest id 4294967294"])
        let many = (0..<341).map { LinuxIDMapping(containerID: UInt32($0), hostID: UInt32(1000 + $0), size: 1) }
        #expect(try messages(uid: many) == ["config.json: linux.uidMappings: 341 mappings, the kernel allows at most 340"])
        // The same rules for an id-mapped mount.
        #expect(try validationMessages {
            $0.mounts[0].uidMappings = [LinuxIDMapping(containerID: 0, hostID: 0, size: 10), LinuxIDMapping(containerID: 5, hostID: 50, size: 1)]
            $0.mounts[0].gidMappings = [LinuxIDMapping(containerID: 0, hostID: 0, size: 10)]
        } == ["config.json: mounts[0].uidMappings[1]: container ids 5 overlap those of uidMappings[0] (0-9)"])
    }

    @Test func checksSeccompArchitecturesAndListener() throws {
        #expect(try validationMessages {
            var seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ALLOW")
            seccomp.architectures = ["SCMP_ARCH_X86_64", "", "SCMP_ARCH_VAX"]
            seccomp.listenerMetadata = "meta"
            $0.linux?.seccomp = seccomp
        } == [
            "config.json: linux.seccomp.architectures[1]: must not be empty",
            #"config.json: linux.seccomp.architectures[2]: unknown architecture "SCMP_ARCH_VAX""#,
            "config.json: linux.seccomp.listenerMetadata: must not be set without listenerPath",
        ])
        // An explicitly empty list is refused while decoding; an absent one means native.
        let empty: JSONValue = ["defaultAction": "SCMP_ACT_ALLOW", "architectures": []]
        #expect(throws: SpecError.self) { try LinuxSeccomp(json: empty) }
        do {
            _ = try LinuxSeccomp(json: empty)
        } catch {
            #expect(error.description == "config.json: architectures: must name at least one architecture (leave the field out for the native one)")
        }
        #expect(try LinuxSeccomp(json: ["defaultAction": "SCMP_ACT_ALLOW"]).architectures == [])
    }

    @Test func timeOffsetsRequireATimeNamespace() throws {
        let offset = LinuxTimeOffset(secs: 1, nanosecs: 0)
        #expect(try validationMessages { $0.linux?.timeOffsets = ["monotonic": offset] }
            == ["config.json: linux.timeOffsets: requires a time namespace in linux.namespaces"])
        #expect(try validationMessages {
            $0.linux?.timeOffsets = ["monotonic": offset, "boottime": offset]
            $0.linux?.namespaces.append(LinuxNamespace(.time))
        } == [])
        #expect(try validationMessages {
            $0.linux?.timeOffsets = ["realtime": offset]
            $0.linux?.namespaces.append(LinuxNamespace(.time))
        } == [#"config.json: linux.timeOffsets.realtime: unknown clock, expected "monotonic" or "boottime""#])
    }

    @Test func checksSysctlNames() throws {
        #expect(try validationMessages { $0.linux?.sysctl = ["net.ipv4.ip_forward": "1", "kernel.msgmax": "8192"] } == [])
        #expect(try validationMessages {
            $0.linux?.sysctl = ["net/ipv4/ip_forward": "1", "kernel..x": "1", "": "1", "a b": "1"]
        } == [
            #"config.json: linux.sysctl[""]: invalid sysctl name"#,
            #"config.json: linux.sysctl["a b"]: invalid sysctl name"#,
            #"config.json: linux.sysctl["kernel..x"]: invalid sysctl name"#,
            #"config.json: linux.sysctl["net/ipv4/ip_forward"]: invalid sysctl name"#,
        ])
    }

    @Test func checksDevices() throws {
        #expect(try validationMessages {
            $0.linux?.devices = [
                LinuxDevice(type: "c", path: "/dev/fuse", major: 10, minor: 229),
                LinuxDevice(type: "p", path: "/dev/fifo"),
                LinuxDevice(type: "u", path: "/dev/u", major: 1, minor: 1),
                LinuxDevice(type: "b", path: "/dev/loop0", major: 7, minor: 0),
            ]
        } == [])
        #expect(try validationMessages {
            $0.linux?.devices = [
                LinuxDevice(type: "x", path: "/dev/x"),
                LinuxDevice(type: "c", path: "dev/null", minor: 3),
                LinuxDevice(type: "b", path: "/dev/sda", major: 8),
            ]
        } == [
            #"config.json: linux.devices[0].type: unknown device type "x", expected c, b, u or p"#,
            #"config.json: linux.devices[1].major: required for device type "c""#,
            #"config.json: linux.devices[1].path: must be an absolute path, found "dev/null""#,
            #"config.json: linux.devices[2].minor: required for device type "b""#,
        ])
    }

    @Test func checksRootfsPropagation() throws {
        for propagation in ["private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"] {
            #expect(try validationMessages { $0.linux?.rootfsPropagation = propagation } == [])
        }
        #expect(try validationMessages { $0.linux?.rootfsPropagation = "rprivat" }
            == [#"config.json: linux.rootfsPropagation: unknown propagation "rprivat""#])
    }

    @Test func checksMaskedAndReadonlyPaths() throws {
        #expect(try validationMessages {
            $0.linux?.maskedPaths.append("proc/kcore")
            $0.linux?.readonlyPaths = ["sys"]
        } == [
            #"config.json: linux.maskedPaths[11]: must be an absolute path, found "proc/kcore""#,
            #"config.json: linux.readonlyPaths[0]: must be an absolute path, found "sys""#,
        ])
    }

    @Test func checksPersonality() throws {
        #expect(try validationMessages {
            $0.linux?.personality = LinuxPersonality(domain: "LINUX32")
        } == [])
        #expect(try validationMessages {
            $0.linux?.personality = LinuxPersonality(domain: "SVR4")
        } == [#"config.json: linux.personality.domain: unknown domain "SVR4", expected "LINUX" or "LINUX32""#])
    }

    @Test func checksSeccomp() throws {
        #expect(try validationMessages {
            var seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_ERRNO")
            seccomp.syscalls = [LinuxSyscall(names: ["read"], action: "SCMP_ACT_ALLOW",
                                             args: [LinuxSeccompArg(index: 0, value: 1, op: "SCMP_CMP_MASKED_EQ")])]
            $0.linux?.seccomp = seccomp
        } == [])
        #expect(try validationMessages {
            var seccomp = LinuxSeccomp(defaultAction: "SCMP_ACT_DENY")
            seccomp.syscalls = [LinuxSyscall(names: [], action: "ALLOW",
                                             args: [LinuxSeccompArg(index: 6, value: 1, op: "EQ")])]
            $0.linux?.seccomp = seccomp
        } == [
            #"config.json: linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_DENY""#,
            "config.json: linux.seccomp.syscalls[0].names: must name at least one syscall",
            #"config.json: linux.seccomp.syscalls[0].action: unknown seccomp action "ALLOW""#,
            #"config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "EQ""#,
            "config.json: linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5, found 6",
        ])
    }

    // MARK: resources

    @Test func flagsResourceLimits() throws {
        func linux(_ resources: JSONValue?) -> Linux {
            var linux = Linux()
            linux.resources = resources
            return linux
        }
        #expect(!linux(nil).requestsResourceLimits)
        #expect(!linux(["devices": [["allow": false, "access": "rwm"]]]).requestsResourceLimits)
        #expect(!linux(["memory": [:], "cpu": ["shares": .null], "pids": .null, "hugepageLimits": []]).requestsResourceLimits)
        #expect(linux(["memory": ["limit": 1_048_576]]).requestsResourceLimits)
        #expect(linux(["devices": [], "pids": ["limit": 10]]).requestsResourceLimits)
        #expect(linux(["unified": ["memory.max": "1G"]]).requestsResourceLimits)
    }
}
