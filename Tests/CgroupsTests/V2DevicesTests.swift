import Glibc
import JSON
import Testing
@testable import Cgroups

/// linux.resources.devices → the BPF_CGROUP_DEVICE program (host-only: no kernel involved).
/// The real effect is proven in a container in the cgroup v2 guest (CgroupV2ProofTests).
@Suite struct V2DevicesTests {
    typealias Rule = Resources.DeviceRule

    /// Runs the program on one request, as the kernel would (only the instructions the emitter uses).
    static func run(_ prog: [BPFInsn], type: Character, major: UInt32, minor: UInt32, access: String) -> UInt64 {
        let t: UInt32 = type == "b" ? 1 : 2
        let a = access.reduce(UInt32(0)) { $0 | ($1 == "m" ? 1 : $1 == "r" ? 2 : 4) }
        let ctx: [UInt32] = [a << 16 | t, major, minor]
        var r = [UInt64](repeating: 0, count: 11)
        var pc = 0
        for _ in 0..<10_000 {
            let i = prog[pc]
            pc += 1
            let d = Int(i.dst), imm = UInt64(UInt32(bitPattern: i.imm))
            switch i.code {
            case 0x61: r[d] = UInt64(ctx[Int(i.off) / 4])
            case 0x54: r[d] = (r[d] & imm) & 0xffff_ffff
            case 0x74: r[d] = (r[d] & 0xffff_ffff) >> imm
            case 0xb4: r[d] = imm
            case 0xbc: r[d] = r[Int(i.src)] & 0xffff_ffff
            case 0x05: pc += Int(i.off)
            case 0x15: if r[d] == imm { pc += Int(i.off) }
            case 0x55: if r[d] != imm { pc += Int(i.off) }
            case 0x95: return r[0]
            default: Issue.record("unexpected opcode \(i.code)"); return 99
            }
        }
        Issue.record("no exit")
        return 99
    }

    static func allowed(_ prog: [BPFInsn], _ request: String) -> Bool {
        // "c 1:3 rw"
        let parts = request.split(separator: " ")
        let mm = parts[1].split(separator: ":")
        return run(prog, type: parts[0].first!, major: UInt32(mm[0])!, minor: UInt32(mm[1])!, access: String(parts[2])) == 1
    }

    @Test func exactInstructionsForOneAllow() throws {
        let prog = try V2Devices.program([Rule(allow: false), Rule(allow: true, type: "c", major: 1, minor: 3, access: "rw")], defaults: [])
        let bitR = ["mov32 r1, r3", "and32 r1, 2", "jeq r1, 0, +6", "jne r2, 2, +3", "jne r4, 1, +2", "jne r5, 3, +1", "ja +2", "mov32 r0, 0", "exit"]
        #expect(prog.map(\.description) == [
            "ldxw r2, [r1+0]", "and32 r2, 65535", "ldxw r3, [r1+0]", "rsh32 r3, 16", "ldxw r4, [r1+4]", "ldxw r5, [r1+8]",
            // m: only `deny a` names it
            "mov32 r1, r3", "and32 r1, 1", "jeq r1, 0, +2", "mov32 r0, 0", "exit",
        ] + bitR + bitR.map { $0 == "and32 r1, 2" ? "and32 r1, 4" : $0 } + ["mov32 r0, 1", "exit"])
        // struct bpf_insn bytes: code, dst|src<<4, off (le16), imm (le32)
        #expect(prog[0].raw == 0x0000_0000_0000_1261)          // ldxw r2, [r1+0]
        #expect(prog[13].raw == 0x0000_0000_0006_0115)         // jeq r1, 0, +6
        #expect(BPFInsn(code: 0x55, dst: 4, off: -1, imm: 136).raw == 0x0000_0088_ffff_0455)
    }

    @Test func allowAllNeedsNoChecks() throws {
        let prog = try V2Devices.program([Rule(allow: true)])
        #expect(prog.count == 8)
        #expect(prog.suffix(2).map(\.description) == ["mov32 r0, 1", "exit"])
        #expect(Self.allowed(prog, "b 8:0 rwm"))
    }

    @Test func denyAllWithTheDefaultAllows() throws {
        let prog = try V2Devices.program([Rule(allow: false)])
        for ok in ["c 1:3 rw", "c 1:5 r", "c 1:7 w", "c 1:8 r", "c 1:9 rw", "c 5:0 rw", "c 5:2 rw", "c 136:7 rw", "c 10:200 rw",
                   "b 8:0 m", "c 4:1 m"] {
            #expect(Self.allowed(prog, ok), "\(ok)")
        }
        for denied in ["b 8:0 r", "b 8:0 rw", "b 254:0 w", "c 4:1 rw", "c 10:229 r", "c 1:1 r", "b 8:0 rm"] {
            #expect(!Self.allowed(prog, denied), "\(denied)")
        }
    }

    @Test func lastMatchWinsPerAccessBit() throws {
        let withoutWrite = try V2Devices.program([Rule(allow: false), Rule(allow: true, type: "c", major: 1, minor: 3, access: "rw"),
                                                  Rule(allow: false, type: "c", major: 1, minor: 3, access: "w")], defaults: [])
        #expect(Self.allowed(withoutWrite, "c 1:3 r"))
        #expect(!Self.allowed(withoutWrite, "c 1:3 w"))
        #expect(!Self.allowed(withoutWrite, "c 1:3 rw"))
        let split = try V2Devices.program([Rule(allow: false), Rule(allow: true, type: "c", major: 1, minor: 3, access: "r"),
                                           Rule(allow: true, type: "c", major: 1, minor: 3, access: "w")], defaults: [])
        #expect(Self.allowed(split, "c 1:3 rw"))
        #expect(!Self.allowed(split, "c 1:3 m"))
        // Wildcard minor, then an allow-all overriding an earlier deny.
        let pts = try V2Devices.program([Rule(allow: true, type: "c", major: 136, minor: nil, access: "rwm")], defaults: [])
        #expect(Self.allowed(pts, "c 136:0 rwm") && Self.allowed(pts, "c 136:99 r") && !Self.allowed(pts, "b 136:0 r"))
        let reopened = try V2Devices.program([Rule(allow: false, type: "c", major: 5, minor: 1), Rule(allow: true)], defaults: [])
        #expect(reopened.count == 8 && Self.allowed(reopened, "c 5:1 rw"))
        let denyOne = try V2Devices.program([Rule(allow: true), Rule(allow: false, type: "c", major: 5, minor: 1, access: "rw")], defaults: [])
        #expect(!Self.allowed(denyOne, "c 5:1 r") && Self.allowed(denyOne, "c 5:1 m") && Self.allowed(denyOne, "b 8:0 rw"))
    }

    @Test func fromConfigJSON() throws {
        let merged = Cgroups.resources(["devices": [["allow": false, "access": "rwm"], ["allow": true, "type": "b", "major": 7, "access": "r"]]],
                                       allowingDevices: [(type: "c", major: 10, minor: 229)])
        let prog = try V2Devices.program(try #require(try Resources(json: merged).devices))
        #expect(Self.allowed(prog, "c 10:229 rw") && Self.allowed(prog, "b 7:3 r") && !Self.allowed(prog, "b 7:3 w"))
    }

    /// The program passes the kernel's verifier and is enforced: on any cgroup2 mount (the hybrid
    /// host's /sys/fs/cgroup/unified too; device programs need no controller), a shell that moved
    /// itself into the cgroup opens /dev/null but not /dev/kmsg.
    @Test(.enabled(if: V2Env.anyCgroup2 != nil, "needs root and a cgroup2 mount"))
    func loadsAttachesAndDenies() throws {
        let u = V2Env.anyCgroup2!
        let manager = try V2Manager(root: u.mountPoint, inner: InnerPath(path: Support.uniqueName("v2dev"), absolute: false),
                                    ownCgroup: u.ownCgroup, enableAllAvailable: false)
        defer { try? manager.destroy(killFirst: true); Support.removeCgroupDirs(manager.paths) }
        try manager.create(resources: ["devices": [["allow": false, "access": "rwm"]]])
        let script = "echo $$ > \(manager.leaf)/cgroup.procs && head -c 0 /dev/null && echo null-ok; head -c 0 /dev/kmsg 2>&1; echo kmsg-rc=$?"
        guard let f = popen("sh -c '\(script)'", "r") else { Issue.record("popen"); return }
        var out = ""
        var buf = [UInt8](repeating: 0, count: 512)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += String(decoding: buf[..<n], as: UTF8.self)
        }
        pclose(f)
        #expect(out.contains("null-ok\n"), "\(out)")
        #expect(out.contains("Operation not permitted") && out.contains("kmsg-rc=1"), "\(out)")
    }
}
