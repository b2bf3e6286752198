import JSON
import Testing
@testable import OCI

/// What `runc spec` writes (runc 1.2, cgroup v1 host), with our ociVersion.
let runcSpecOutput = """
    {
      "ociVersion": "1.2.0",
      "process": {
        "terminal": true,
        "user": {
          "uid": 0,
          "gid": 0
        },
        "args": [
          "sh"
        ],
        "env": [
          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "TERM=xterm"
        ],
        "cwd": "/",
        "capabilities": {
          "bounding": [
            "CAP_AUDIT_WRITE",
            "CAP_KILL",
            "CAP_NET_BIND_SERVICE"
          ],
          "effective": [
            "CAP_AUDIT_WRITE",
            "CAP_KILL",
            "CAP_NET_BIND_SERVICE"
          ],
          "permitted": [
            "CAP_AUDIT_WRITE",
            "CAP_KILL",
            "CAP_NET_BIND_SERVICE"
          ]
        },
        "rlimits": [
          {
            "type": "RLIMIT_NOFILE",
            "hard": 1024,
            "soft": 1024
          }
        ],
        "noNewPrivileges": true
      },
      "root": {
        "path": "rootfs",
        "readonly": true
      },
      "hostname": "runc",
      "mounts": [
        {
          "destination": "/proc",
          "type": "proc",
          "source": "proc"
        },
        {
          "destination": "/dev",
          "type": "tmpfs",
          "source": "tmpfs",
          "options": [
            "nosuid",
            "strictatime",
            "mode=755",
            "size=65536k"
          ]
        },
        {
          "destination": "/dev/pts",
          "type": "devpts",
          "source": "devpts",
          "options": [
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "mode=0620",
            "gid=5"
          ]
        },
        {
          "destination": "/dev/shm",
          "type": "tmpfs",
          "source": "shm",
          "options": [
            "nosuid",
            "noexec",
            "nodev",
            "mode=1777",
            "size=65536k"
          ]
        },
        {
          "destination": "/dev/mqueue",
          "type": "mqueue",
          "source": "mqueue",
          "options": [
            "nosuid",
            "noexec",
            "nodev"
          ]
        },
        {
          "destination": "/sys",
          "type": "sysfs",
          "source": "sysfs",
          "options": [
            "nosuid",
            "noexec",
            "nodev",
            "ro"
          ]
        },
        {
          "destination": "/sys/fs/cgroup",
          "type": "cgroup",
          "source": "cgroup",
          "options": [
            "nosuid",
            "noexec",
            "nodev",
            "relatime",
            "ro"
          ]
        }
      ],
      "linux": {
        "resources": {
          "devices": [
            {
              "allow": false,
              "access": "rwm"
            }
          ]
        },
        "namespaces": [
          {
            "type": "pid"
          },
          {
            "type": "network"
          },
          {
            "type": "ipc"
          },
          {
            "type": "uts"
          },
          {
            "type": "mount"
          }
        ],
        "maskedPaths": [
          "/proc/acpi",
          "/proc/asound",
          "/proc/kcore",
          "/proc/keys",
          "/proc/latency_stats",
          "/proc/timer_list",
          "/proc/timer_stats",
          "/proc/sched_debug",
          "/sys/firmware",
          "/proc/scsi",
          "/sys/devices/virtual/tpm"
        ],
        "readonlyPaths": [
          "/proc/bus",
          "/proc/fs",
          "/proc/irq",
          "/proc/sys",
          "/proc/sysrq-trigger"
        ]
      }
    }
    """

@Suite struct DefaultSpecTests {
    @Test func matchesRuncSpecTextExactly() {
        #expect(JSON.serialize(DefaultSpec.make(rootless: false, seccomp: false), pretty: true) == runcSpecOutput)
    }

    /// husk's spec differs from runc's only by the default seccomp profile in linux.seccomp.
    @Test func addsTheDefaultSeccompProfile() throws {
        guard case .object(var doc) = DefaultSpec.make(rootless: false), case .object(var linux)? = doc["linux"] else {
            Issue.record("spec is not an object")
            return
        }
        let profile = DefaultSeccompProfile.make(capabilities: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
        #expect(linux.pairs.last?.key == "seccomp")
        #expect(linux["seccomp"] == profile.json)
        #expect(try LinuxSeccomp(json: profile.json) == profile, "the profile round-trips through the decoder")
        linux["seccomp"] = nil
        doc["linux"] = .object(linux)
        #expect(JSON.serialize(.object(doc), pretty: true) == runcSpecOutput)
        let spec = try Spec(json: DefaultSpec.make(rootless: true, uid: 1000, gid: 1000))
        #expect(spec.linux?.seccomp?.defaultErrnoRet == 38)
    }

    /// `husk spec` lists every native ABI (the config may run elsewhere); a config made for
    /// this host leaves x32 out when its kernel does not run x32 calls (a third of the filter).
    @Test func x32IsLeftOutOnlyWhenAsked() throws {
        let all = DefaultSeccompProfile.make(capabilities: [])
        let noX32 = DefaultSeccompProfile.make(capabilities: [], x32: false)
        #if arch(x86_64)
        #expect(all.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(noX32.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
        #endif
        #expect(noX32.syscalls == all.syscalls)
        let spec = try Spec(json: DefaultSpec.make(rootless: false, seccompX32: false))
        #expect(spec.linux?.seccomp?.architectures.contains("SCMP_ARCH_X32") == false)
        #expect(try Spec(json: DefaultSpec.make(rootless: false)).linux?.seccomp?.architectures == all.architectures)
    }

    @Test func defaultProfileDependsOnCapabilities() {
        let plain = DefaultSeccompProfile.make(capabilities: [])
        let admin = DefaultSeccompProfile.make(capabilities: ["CAP_SYS_ADMIN"])
        func allowed(_ p: LinuxSeccomp) -> Set<String> {
            Set(p.syscalls.filter { $0.action == "SCMP_ACT_ALLOW" && $0.args.isEmpty }.flatMap(\.names))
        }
        #expect(plain.defaultAction == "SCMP_ACT_ERRNO" && plain.defaultErrnoRet == 38)
        for name in ["mount", "umount2", "unshare", "setns", "keyctl", "add_key", "request_key", "bpf",
                     "perf_event_open", "kexec_load", "open_by_handle_at", "init_module", "finit_module",
                     "delete_module", "pivot_root", "clone", "clone3"] {
            #expect(!allowed(plain).contains(name), "\(name) is not allowed without capabilities")
        }
        for name in ["mount", "umount2", "unshare", "setns", "clone", "clone3"] {
            #expect(allowed(admin).contains(name), "\(name) is allowed with CAP_SYS_ADMIN")
        }
        for name in ["keyctl", "add_key", "request_key", "kexec_load", "pivot_root"] {
            #expect(!allowed(admin).contains(name), "\(name) is never allowed")
        }
        let clone = plain.syscalls.first { $0.names == ["clone"] }
        #expect(clone?.args.first?.op == "SCMP_CMP_MASKED_EQ" && clone?.args.first?.value == 0x7E02_0000)
        #expect(plain.syscalls.contains { $0.names == ["clone3"] && $0.action == "SCMP_ACT_ERRNO" && $0.errnoRet == 38 })
        #expect(!admin.syscalls.contains { $0.names == ["clone"] && !$0.args.isEmpty })
        #expect(allowed(DefaultSeccompProfile.make(capabilities: ["CAP_DAC_READ_SEARCH"])).contains("open_by_handle_at"))
    }

    @Test func decodesValidatesAndRoundTrips() throws {
        for rootless in [false, true] {
            let json = DefaultSpec.make(rootless: rootless, uid: 1000, gid: 1001, cgroupNamespace: true)
            let text = JSON.serialize(json, pretty: true)
            #expect(try JSON.parse(text) == json)
            let spec = try Spec.parse(text)
            #expect(throws: Never.self) { try spec.validate() }
            #expect(!(spec.linux?.requestsResourceLimits ?? true))
        }
    }

    @Test func rootlessMatchesRuncToRootless() throws {
        let spec = try Spec(json: DefaultSpec.make(rootless: true, uid: 1000, gid: 1001))
        let linux = try #require(spec.linux)
        #expect(linux.namespaces.map(\.type) == ["pid", "ipc", "uts", "mount", "user"])
        #expect(linux.uidMappings == [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)])
        #expect(linux.gidMappings == [LinuxIDMapping(containerID: 0, hostID: 1001, size: 1)])
        #expect(linux.resources == nil)
        let sys = try #require(spec.mounts.first { $0.destination == "/sys" })
        #expect(sys == Mount(destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]))
        let pts = try #require(spec.mounts.first { $0.destination == "/dev/pts" })
        #expect(!pts.options.contains { $0.hasPrefix("gid=") || $0.hasPrefix("uid=") })
        #expect(spec.mounts.map(\.destination) == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"])
    }

    @Test func honoursArgsTerminalAndCgroupNamespace() throws {
        let spec = try Spec(json: DefaultSpec.make(rootless: false, args: ["/bin/echo", "hi"], terminal: false, cgroupNamespace: true))
        #expect(spec.process?.args == ["/bin/echo", "hi"])
        #expect(spec.process?.terminal == false)
        #expect(spec.linux?.namespaces.last?.type == "cgroup")
        let rootless = try Spec(json: DefaultSpec.make(rootless: true, cgroupNamespace: true))
        #expect(rootless.linux?.namespaces.map(\.type) == ["pid", "ipc", "uts", "mount", "cgroup", "user"])
    }
}

@Suite struct FeaturesTests {
    @Test func describesHusk() throws {
        let features = try #require(Features.json(annotations: ["org.husk.version": "0.1"]).object)
        #expect(features.keys == ["ociVersionMin", "ociVersionMax", "hooks", "mountOptions", "linux", "annotations"])
        #expect(features["ociVersionMin"] == "1.0.0")
        #expect(features["ociVersionMax"] == "1.2.0")
        #expect(features["hooks"] == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"])
        #expect(features["mountOptions"]?.array?.contains("rro") == true)
        #expect(features["annotations"] == ["org.husk.version": "0.1"])
        let linux = try #require(features["linux"]?.object)
        #expect(linux["namespaces"] == ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"])
        #expect(linux["capabilities"]?.array?.count == 41)
        #expect(linux["capabilities"]?.array?.last == "CAP_CHECKPOINT_RESTORE")
        #expect(linux["cgroup"] == ["v1": false, "v2": false, "systemd": false, "systemdUser": false, "rdma": false])
        #expect(linux["seccomp"] == ["enabled": false])
        #expect(linux["apparmor"] == ["enabled": false])
        #expect(linux["selinux"] == ["enabled": false])
    }

    @Test func omitsEmptyAnnotations() {
        #expect(Features.json().object?["annotations"] == nil)
    }

    @Test func listsSeccompDetailsWhenEnabled() throws {
        let features = Features.json(seccompEnabled: true, seccompActions: ["SCMP_ACT_ALLOW"],
                                     seccompOperators: ["SCMP_CMP_EQ"], seccompArchitectures: ["SCMP_ARCH_X86_64"],
                                     seccompFlags: ["SECCOMP_FILTER_FLAG_LOG"])
        let seccomp = try #require(features.object?["linux"]?.object?["seccomp"]?.object)
        #expect(seccomp["enabled"] == true)
        #expect(seccomp["actions"] == ["SCMP_ACT_ALLOW"])
        #expect(seccomp["archs"] == ["SCMP_ARCH_X86_64"])
        #expect(seccomp["supportedFlags"] == ["SECCOMP_FILTER_FLAG_LOG"])
    }
}
