import JSON
import Testing
@testable import OCI

@Suite struct SpecDecodingTests {
    @Test func decodesRuncStyleConfig() throws {
        let spec = try Spec.parse(runcConfigJSON)
        #expect(spec.ociVersion == "1.2.0")
        #expect(spec.hostname == "runc")
        #expect(spec.root == Root(path: "rootfs", readonly: true))
        #expect(spec.annotations == ["org.example.owner": "husk", "org.example.note": "line\nbreak"])

        let process = try #require(spec.process)
        #expect(process.terminal)
        #expect(process.consoleSize == ConsoleSize(height: 24, width: 80))
        #expect(process.user.umask == 18)
        #expect(process.user.additionalGids == [10, 11])
        #expect(process.args == ["sh", "-c", "echo \"hello\" && exit 0"])
        #expect(process.env.last == "GREETING=grüße 😀")
        #expect(process.cwd == "/")
        #expect(process.capabilities?.bounding == ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])
        #expect(process.capabilities?.inheritable == [])
        #expect(process.rlimits == [Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024),
                                    Rlimit(type: "RLIMIT_CORE", hard: UInt64.max, soft: 0)])
        #expect(process.noNewPrivileges)
        #expect(process.oomScoreAdj == -500)

        #expect(spec.mounts.count == 7)
        #expect(spec.mounts[0] == Mount(destination: "/proc", type: "proc", source: "proc"))
        #expect(spec.mounts[2].options.last == "gid=5")

        let hooks = try #require(spec.hooks)
        #expect(hooks.createRuntime == [Hook(path: "/usr/bin/setup-network", args: ["setup-network", "--bridge=br0"],
                                             env: ["DEBUG=1"], timeout: 5)])
        #expect(hooks.poststop == [Hook(path: "/usr/bin/cleanup")])
        #expect(hooks.prestart.isEmpty)

        let linux = try #require(spec.linux)
        #expect(linux.namespaces.map(\.type) == ["pid", "network", "ipc", "uts", "mount"])
        #expect(linux.namespace(.network) != nil)
        #expect(linux.namespace(.user) == nil)
        #expect(linux.sysctl == ["net.ipv4.ip_forward": "1"])
        #expect(linux.devices == [LinuxDevice(type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0)])
        #expect(linux.rootfsPropagation == "rprivate")
        #expect(linux.maskedPaths.count == 11)
        #expect(linux.readonlyPaths.count == 5)
        #expect(linux.personality?.domain == "LINUX")
        #expect(linux.resources != nil)
        #expect(!linux.requestsResourceLimits)

        let seccomp = try #require(linux.seccomp)
        #expect(seccomp.defaultAction == "SCMP_ACT_ERRNO")
        #expect(seccomp.defaultErrnoRet == 1)
        #expect(seccomp.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(seccomp.flags == ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"])
        #expect(seccomp.syscalls.count == 3)
        #expect(seccomp.syscalls[1].args == [LinuxSeccompArg(index: 0, value: 131080, valueTwo: 0, op: "SCMP_CMP_EQ")])
        #expect(seccomp.syscalls[2].errnoRet == 38)
        #expect(throws: Never.self) { try spec.validate() }
    }

    @Test func decodesEveryOptionalField() throws {
        let spec = try Spec.parse("""
            {"ociVersion": "1.2.0", "domainname": "example.org", "root": {"path": "rootfs"},
             "process": {"cwd": "/", "args": ["x"], "commandLine": "x.exe", "apparmorProfile": "p",
               "selinuxLabel": "l", "user": {"uid": 1, "gid": 2, "username": "u"},
               "capabilities": {"ambient": ["CAP_KILL"], "inheritable": ["CAP_CHOWN"]},
               "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 1, "flags": ["SCHED_FLAG_RECLAIM"],
                             "runtime": 10, "deadline": 20, "period": 30},
               "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
               "execCPUAffinity": {"initial": "0", "final": "0-3"}},
             "mounts": [{"destination": "/data", "type": "bind", "source": "/src", "options": ["rbind", "idmap"],
                         "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
                         "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}],
             "linux": {"namespaces": [{"type": "user"}, {"type": "time"}, {"type": "network", "path": "/proc/1/ns/net"}],
               "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
               "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
               "timeOffsets": {"monotonic": {"secs": -10, "nanosecs": 5}, "boottime": {"secs": 3}},
               "netDevices": {"eth1": {"name": "net0"}, "eth2": {}},
               "cgroupsPath": "/husk/x", "mountLabel": "m", "intelRdt": {"closID": "c"},
               "memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0"},
               "personality": {"domain": "LINUX32", "flags": []},
               "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/l.sock", "listenerMetadata": "meta",
                           "flags": []},
               "unknownField": [1, 2, 3]},
             "someFutureField": {"x": 1}}
            """)
        let process = try #require(spec.process)
        #expect(spec.domainname == "example.org")
        #expect(process.commandLine == "x.exe")
        #expect(process.apparmorProfile == "p")
        #expect(process.selinuxLabel == "l")
        #expect(process.user.uid == 1 && process.user.gid == 2 && process.user.username == "u")
        #expect(process.capabilities?.ambient == ["CAP_KILL"])
        #expect(process.capabilities?.inheritable == ["CAP_CHOWN"])
        var scheduler = Scheduler(policy: "SCHED_DEADLINE")
        scheduler.nice = -5
        scheduler.priority = 1
        scheduler.flags = ["SCHED_FLAG_RECLAIM"]
        scheduler.runtime = 10
        scheduler.deadline = 20
        scheduler.period = 30
        #expect(process.scheduler == scheduler)
        #expect(process.ioPriority == IOPriority(class: "IOPRIO_CLASS_BE", priority: 4))
        #expect(process.execCPUAffinity == CPUAffinity(initial: "0", final: "0-3"))
        #expect(spec.mounts[0].uidMappings == [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)])
        let linux = try #require(spec.linux)
        #expect(linux.namespace(.network)?.path == "/proc/1/ns/net")
        #expect(linux.uidMappings == [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)])
        #expect(linux.timeOffsets["monotonic"] == LinuxTimeOffset(secs: -10, nanosecs: 5))
        #expect(linux.timeOffsets["boottime"] == LinuxTimeOffset(secs: 3, nanosecs: 0))
        #expect(linux.netDevices["eth1"]?.name == "net0")
        #expect(linux.netDevices["eth2"]?.name == nil)
        #expect(linux.cgroupsPath == "/husk/x")
        #expect(linux.mountLabel == "m")
        #expect(linux.intelRdt == ["closID": "c"])
        #expect(linux.memoryPolicy?.object?["mode"] == "MPOL_BIND")
        #expect(linux.personality?.domain == "LINUX32")
        #expect(linux.seccomp?.listenerPath == "/run/l.sock")
        #expect(linux.seccomp?.listenerMetadata == "meta")
        #expect(linux.seccomp?.flags == [])
        #expect(throws: Never.self) { try spec.validate() }
    }

    @Test func treatsNullLikeAbsent() throws {
        let spec = try Spec.parse(#"{"ociVersion": "1.0.0", "hostname": null, "mounts": null, "process": null}"#)
        #expect(spec.hostname == nil)
        #expect(spec.mounts.isEmpty)
        #expect(spec.process == nil)
    }

    @Test func seccompFlagsDistinguishAbsentFromEmpty() throws {
        let absent = try LinuxSeccomp(json: ["defaultAction": "SCMP_ACT_ALLOW"])
        #expect(absent.flags == nil)
    }

    @Test func reportsJSONSyntaxErrorsWithPosition() {
        #expect(decodeError("{\n  \"ociVersion\": \"1.0.0\",\n  \"root\" {}\n}")
            == "config.json: invalid JSON at line 3, column 10: expected ':' after object key")
        #expect(decodeError("{\"a\": 1,\n") == "config.json: invalid JSON at line 2, column 1: unexpected end of input")
    }

    @Test func rejectsANonObjectDocument() {
        #expect(decodeError("[]") == "config.json: expected an object, found an array")
    }

    @Test func loadAcceptsBytes() throws {
        let spec = try Spec.load(bytes: Array(runcConfigJSON.utf8))
        #expect(spec.hostname == "runc")
    }

    struct WrongType: Sendable, CustomTestStringConvertible {
        let json: String
        let message: String
        var testDescription: String { message }
    }

    static let wrongTypes: [WrongType] = [
        WrongType(json: #"{"ociVersion": 1}"#, message: "config.json: ociVersion: expected a string, found number"),
        WrongType(json: #"{"process": {"user": {"uid": "0"}}}"#,
                  message: #"config.json: process.user.uid: expected an unsigned 32-bit integer, found string "0""#),
        WrongType(json: #"{"process": {"user": {"uid": -1}}}"#,
                  message: "config.json: process.user.uid: expected an unsigned 32-bit integer, found -1"),
        WrongType(json: #"{"process": {"user": {"gid": 4294967296}}}"#,
                  message: "config.json: process.user.gid: expected an unsigned 32-bit integer, found 4294967296"),
        WrongType(json: #"{"process": {"user": {"additionalGids": [1, 2.5]}}}"#,
                  message: "config.json: process.user.additionalGids[1]: expected an unsigned 32-bit integer, found 2.5"),
        WrongType(json: #"{"process": {"terminal": "yes"}}"#,
                  message: #"config.json: process.terminal: expected a boolean, found string "yes""#),
        WrongType(json: #"{"process": {"args": "sh"}}"#,
                  message: #"config.json: process.args: expected an array, found string "sh""#),
        WrongType(json: #"{"process": {"env": ["A=1", 2]}}"#,
                  message: "config.json: process.env[1]: expected a string, found number"),
        WrongType(json: #"{"process": {"consoleSize": {"height": 1}}}"#,
                  message: "config.json: process.consoleSize.width: required field is missing"),
        WrongType(json: #"{"process": {"capabilities": {"bounding": [true]}}}"#,
                  message: "config.json: process.capabilities.bounding[0]: expected a string, found true"),
        WrongType(json: #"{"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": -1, "soft": 1}]}}"#,
                  message: "config.json: process.rlimits[0].hard: expected an unsigned 64-bit integer, found -1"),
        WrongType(json: #"{"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1}]}}"#,
                  message: "config.json: process.rlimits[0].soft: required field is missing"),
        WrongType(json: #"{"process": {"oomScoreAdj": 1.5}}"#,
                  message: "config.json: process.oomScoreAdj: expected an integer, found 1.5"),
        WrongType(json: #"{"process": {"scheduler": {"nice": 1}}}"#,
                  message: "config.json: process.scheduler.policy: required field is missing"),
        WrongType(json: #"{"process": {"ioPriority": {"class": 1}}}"#,
                  message: "config.json: process.ioPriority.class: expected a string, found number"),
        WrongType(json: #"{"process": []}"#, message: "config.json: process: expected an object, found an array"),
        WrongType(json: #"{"root": {"readonly": "true"}}"#,
                  message: #"config.json: root.readonly: expected a boolean, found string "true""#),
        WrongType(json: #"{"mounts": [{"destination": "/a"}, {"destination": "/b"}, {"destination": 3}]}"#,
                  message: "config.json: mounts[2].destination: expected a string, found number"),
        WrongType(json: #"{"mounts": [{"type": "tmpfs"}]}"#,
                  message: "config.json: mounts[0].destination: required field is missing"),
        WrongType(json: #"{"mounts": [{"destination": "/a", "options": "ro"}]}"#,
                  message: #"config.json: mounts[0].options: expected an array, found string "ro""#),
        WrongType(json: #"{"hooks": {"poststop": [{"path": "/x", "timeout": "5"}]}}"#,
                  message: #"config.json: hooks.poststop[0].timeout: expected an integer, found string "5""#),
        WrongType(json: #"{"annotations": {"a": 1}}"#, message: "config.json: annotations.a: expected a string, found number"),
        WrongType(json: #"{"annotations": {"org.example.x": false}}"#,
                  message: #"config.json: annotations["org.example.x"]: expected a string, found false"#),
        WrongType(json: #"{"linux": {"namespaces": [{"type": "pid"}, {"path": "/x"}]}}"#,
                  message: "config.json: linux.namespaces[1].type: required field is missing"),
        WrongType(json: #"{"linux": {"uidMappings": [{"containerID": 0, "hostID": "1000", "size": 1}]}}"#,
                  message: #"config.json: linux.uidMappings[0].hostID: expected an unsigned 32-bit integer, found string "1000""#),
        WrongType(json: #"{"linux": {"sysctl": {"net.ipv4.ip_forward": 1}}}"#,
                  message: #"config.json: linux.sysctl["net.ipv4.ip_forward"]: expected a string, found number"#),
        WrongType(json: #"{"linux": {"devices": [{"type": "c", "path": "/dev/x", "major": "1"}]}}"#,
                  message: #"config.json: linux.devices[0].major: expected a 64-bit integer, found string "1""#),
        WrongType(json: #"{"linux": {"timeOffsets": {"monotonic": {"secs": "1"}}}}"#,
                  message: #"config.json: linux.timeOffsets.monotonic.secs: expected a 64-bit integer, found string "1""#),
        WrongType(json: #"{"linux": {"resources": []}}"#,
                  message: "config.json: linux.resources: expected an object, found an array"),
        WrongType(json: #"{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}}}"#,
                  message: "config.json: linux.seccomp.syscalls[0].args[0].value: expected an unsigned 64-bit integer, found -1"),
        WrongType(json: #"{"linux": {"seccomp": {"syscalls": []}}}"#,
                  message: "config.json: linux.seccomp.defaultAction: required field is missing"),
        WrongType(json: #"{"linux": {"maskedPaths": {"a": 1}}}"#,
                  message: "config.json: linux.maskedPaths: expected an array, found an object"),
    ]

    @Test(arguments: wrongTypes) func namesTheFieldOfAWrongType(_ example: WrongType) {
        #expect(decodeError(example.json) == example.message)
    }

    @Test func exposesPathAndProblem() throws {
        do {
            _ = try Spec.parse(#"{"mounts": [{"destination": 3}]}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.path == [.key("mounts"), .index(0), .key("destination")])
            #expect(error.fieldPath == "mounts[0].destination")
            #expect(error.problem == .wrongType(expected: "a string", found: "number"))
        }
    }

    @Test func truncatesLongStringsInMessages() throws {
        let long = String(repeating: "x", count: 500)
        let message = try #require(decodeError(#"{"ociVersion": ["\#(long)"]}"#))
        #expect(message == "config.json: ociVersion: expected a string, found an array")
        let message2 = try #require(decodeError(#"{"process": {"terminal": "\#(long)"}}"#))
        #expect(message2.count < 150)
        #expect(message2.hasSuffix("…\""))
    }
}

/// The description of the error decoding `text` throws, or nil if it decodes.
func decodeError(_ text: String) -> String? {
    do {
        _ = try Spec.parse(text)
        return nil
    } catch {
        return error.description
    }
}
