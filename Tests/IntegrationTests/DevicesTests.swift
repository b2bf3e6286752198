// /dev, linux.devices, masked and read-only paths, hostname/domainname, sysctls.
import Foundation
import Testing

@Suite(.enabled(if: Harness.canRun, Harness.requirement))
struct DevicesTests {
    @Test func defaultDevices() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        // busybox stat: %F file type, %t/%T major/minor in hex, %a mode.
        let b = try sb.bundle {
            $0.shell("for d in null zero full random urandom tty; do echo \"$d $(stat -c '%F %t:%T %a' /dev/$d)\"; done")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let expected = ["null": "1:3", "zero": "1:5", "full": "1:7", "random": "1:8", "urandom": "1:9", "tty": "5:0"]
        let lines = Dictionary(uniqueKeysWithValues: r.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        })
        for (name, devno) in expected {
            #expect(lines[name] == "character special file \(devno) 666", "/dev/\(name): \(lines[name] ?? "missing")")
        }
    }

    @Test func devicesWork() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.shell("""
            echo x > /dev/null && echo null-ok
            head -c 4 /dev/zero | od -An -tx1 | tr -d ' '
            echo x > /dev/full 2>/dev/null || echo full-refused
            head -c 16 /dev/urandom | wc -c
            """)
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "null-ok\n00000000\nfull-refused\n16\n")
    }

    /// Without device rules in the config, the cgroup still denies every device but the
    /// defaults (as runc does): CAP_MKNOD can make a node for a host device, not open it.
    /// (/dev/loop-control, 10:237: the host can open it, and opening it changes nothing.)
    @Test func hostDeviceIsDeniedWithoutDeviceRules() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        try #require(access("/dev/loop-control", F_OK) == 0, "the host has /dev/loop-control")
        let b = try sb.bundle {
            var process = $0.process
            var caps = process["capabilities"] as? [String: Any] ?? [:]
            for set in ["bounding", "effective", "permitted"] {
                caps[set] = ((caps[set] as? [String]) ?? []) + ["CAP_MKNOD"]
            }
            process["capabilities"] = caps
            $0.process = process
            $0.shell("mknod /dev/lc c 10 237 && echo made; (exec 3</dev/lc) && echo OPENED || echo denied")
        }
        let r = try await sb.run(b)
        #expect(r.stdout == "made\ndenied\n", "\(r)")
        #expect(r.stderr.contains("Operation not permitted"), "\(r)")
    }

    @Test func ptmxAndPts() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.shell("""
            if [ -L /dev/ptmx ]; then echo "ptmx link $(readlink /dev/ptmx)"; else echo "ptmx $(stat -c '%F %t:%T' /dev/ptmx)"; fi
            echo "pts $(stat -c '%F %t:%T' /dev/pts/ptmx)"
            grep ' /dev/pts ' /proc/self/mountinfo | sed 's/.* - //'
            """)
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // Either a symlink to pts/ptmx (runc) or the ptmx device itself (spec allows both).
        #expect(["ptmx link pts/ptmx", "ptmx link /dev/pts/ptmx", "ptmx character special file 5:2"]
            .contains(lines.first ?? ""), "\(r.stdout)")
        #expect(lines.dropFirst().first == "pts character special file 5:2")
        #expect(lines.last?.hasPrefix("devpts ") == true, "a new devpts instance: \(r.stdout)")
    }

    @Test func standardSymlinks() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("for l in fd stdin stdout stderr; do echo \"$l $(readlink /dev/$l)\"; done") }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == """
        fd /proc/self/fd
        stdin /proc/self/fd/0
        stdout /proc/self/fd/1
        stderr /proc/self/fd/2

        """)
    }

    @Test func devShmAndMqueue() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle { $0.shell("echo x > /dev/shm/f && echo shm-ok; stat -c %a /dev/shm") }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "shm-ok\n1777\n")
    }

    @Test func linuxDevicesCreatesNode() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.linux["devices"] = [
                ["path": "/dev/husk-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640,
                 "uid": 1000, "gid": 1000],
                ["path": "/dev/sub/husk-zero", "type": "c", "major": 1, "minor": 5],
            ]
            $0.shell("""
            stat -c '%F %t:%T %a %u:%g' /dev/husk-null
            stat -c '%F %t:%T' /dev/sub/husk-zero
            head -c 3 /dev/sub/husk-zero | wc -c
            """)
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == """
        character special file 1:3 640 1000:1000
        character special file 1:5
        3

        """)
    }

    @Test func maskedPaths() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            // /proc/kcore is absent on this kernel; /proc/timer_list is a non-empty proc file.
            $0.linux["maskedPaths"] = ["/proc/kcore", "/proc/timer_list", "/masked-dir", "/masked-file",
                                       "/does/not/exist"]
            $0.shell("""
            echo "timer_list $(cat /proc/timer_list | wc -c)"
            echo "dir $(ls -A /masked-dir | wc -l)"
            echo "file $(cat /masked-file | wc -c)"
            echo x > /masked-dir/new 2>/dev/null && echo dir-writable || echo dir-readonly
            """)
        }
        try FileManager.default.createDirectory(atPath: b.rootfs + "/masked-dir", withIntermediateDirectories: true)
        try sb.writeFile(b.rootfs + "/masked-dir/secret", "secret\n")
        try sb.writeFile(b.rootfs + "/masked-file", "secret\n")
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "timer_list 0\ndir 0\nfile 0\ndir-readonly\n")
        #expect(!(try String(contentsOfFile: "/proc/timer_list", encoding: .utf8)).isEmpty, "not empty unmasked")
        #expect(FileManager.default.fileExists(atPath: b.rootfs + "/masked-dir/secret"), "masking hides, never deletes")
    }

    @Test func readonlyPaths() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.root["readonly"] = false
            $0.linux["readonlyPaths"] = ["/proc/sys", "/ro-dir", "/does/not/exist"]
            $0.shell("""
            echo 1 > /proc/sys/net/ipv4/ip_forward 2>/dev/null && echo sys-wrote || echo sys-refused
            touch /ro-dir/x 2>/dev/null && echo dir-wrote || echo dir-refused
            cat /ro-dir/keep
            touch /elsewhere && echo rest-writable
            """)
        }
        try FileManager.default.createDirectory(atPath: b.rootfs + "/ro-dir", withIntermediateDirectories: true)
        try sb.writeFile(b.rootfs + "/ro-dir/keep", "kept\n")
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "sys-refused\ndir-refused\nkept\nrest-writable\n")
    }

    @Test func hostname() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.json["hostname"] = "hostly"
            $0.shell("hostname; cat /proc/sys/kernel/hostname")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "hostly\nhostly\n")
    }

    // husk differs from runc: runc 1.1.5 ignores `domainname` (support came in runc 1.2).
    @Test(.disabled(if: Harness.isReference, "husk differs from runc: runc 1.1 ignores domainname"))
    func domainname() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let b = try sb.bundle {
            $0.json["hostname"] = "hostly"
            $0.json["domainname"] = "example.test"
            $0.shell("hostname; cat /proc/sys/kernel/domainname")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "hostly\nexample.test\n")
    }

    @Test func sysctls() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        let hostForward = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8)
        let hostShm = try String(contentsOfFile: "/proc/sys/kernel/shm_rmid_forced", encoding: .utf8)
        let b = try sb.bundle {
            $0.linux["sysctl"] = ["net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1",
                                  "net.ipv4.conf.lo.forwarding": "1"]
            $0.shell("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/conf/lo/forwarding")
        }
        let r = try await sb.run(b)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "1\n1\n1\n")
        #expect(try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8) == hostForward,
                "the host's value is untouched")
        #expect(try String(contentsOfFile: "/proc/sys/kernel/shm_rmid_forced", encoding: .utf8) == hostShm)
    }

    @Test func sysctlOfHostNamespaceIsRefused() async throws {
        let sb = try Sandbox()
        defer { sb.cleanup() }
        // Without a network namespace, a net.* sysctl would change the host: refused at create.
        let b = try sb.bundle {
            $0.removeNamespace("network")
            $0.linux["sysctl"] = ["net.ipv4.ip_forward": "1"]
            $0.shell("true")
        }
        let before = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8)
        let r = try await sb.run(b)
        #expect(r.status != 0, "\(r)")
        #expect(try String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8) == before)
        #expect(sb.leftovers().isEmpty, "\(sb.leftovers())")
    }
}
