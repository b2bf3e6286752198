import CHusk
import Glibc

/// cgroup v2 device control: the rule list (config rules, then runc's default allows) compiled to a
/// BPF_PROG_TYPE_CGROUP_DEVICE program, loaded and attached to the container's cgroup in the parent
/// before clone (BPF_F_ALLOW_MULTI, as crun and runc do).
///
/// Semantics are those of the v1 devices controller, which husk's v1 driver programs with the same
/// list: everything is denied first, the rules then apply in order, and for each access bit (m, r, w)
/// the last rule naming that bit and matching the device decides. A request for several bits
/// (open O_RDWR asks for r|w) is allowed only when every requested bit is allowed. So `deny c 1:3 w`
/// after `allow c 1:3 rw` still lets /dev/null be opened read-only, and `allow r` + `allow w` allow rw.
enum V2Devices {
    /// Every container gets these after its own rules (runc's AllowedDevices, the v1 driver's list).
    static var defaultAllowed: [Resources.DeviceRule] { V1Devices.defaultAllowed }

    /// The kernel's request encoding (linux/bpf.h, struct bpf_cgroup_dev_ctx).
    static let devBlock: Int32 = 1      // BPF_DEVCG_DEV_BLOCK
    static let devChar: Int32 = 2       // BPF_DEVCG_DEV_CHAR
    static let accessBits: [(letter: Character, bit: Int32)] = [("m", 1), ("r", 2), ("w", 4)]  // BPF_DEVCG_ACC_*

    /// The program for `rules` followed by `defaults` (the default allows).
    static func program(_ rules: [Resources.DeviceRule], defaults: [Resources.DeviceRule] = defaultAllowed) throws(CgroupError) -> [BPFInsn] {
        let all = rules + defaults
        for (i, r) in all.enumerated() {
            if let m = r.major, m > Int64(Int32.max) { throw CgroupError.field("devices[\(i)].major", "\(m) is out of range") }
            if let m = r.minor, m > Int64(Int32.max) { throw CgroupError.field("devices[\(i)].minor", "\(m) is out of range") }
        }
        var asm = BPFAssembler()
        // r2 = device type, r3 = requested access, r4 = major, r5 = minor (r1 = ctx).
        asm.emit(.ldxw(dst: 2, src: 1, off: 0))
        asm.emit(.and32(dst: 2, imm: 0xFFFF))
        asm.emit(.ldxw(dst: 3, src: 1, off: 0))
        asm.emit(.rsh32(dst: 3, imm: 16))
        asm.emit(.ldxw(dst: 4, src: 1, off: 4))
        asm.emit(.ldxw(dst: 5, src: 1, off: 8))
        for (letter, bit) in accessBits {
            // The rules that decide this bit, last first, up to one that matches every device.
            var chain: [Resources.DeviceRule] = []
            var terminal: Bool? = nil   // the verdict of a match-everything rule ending the chain
            for rule in all.reversed() where rule.access.contains(letter) {
                if rule.type == "a" {   // "a" is every device, as in a v1 devices.allow line
                    terminal = rule.allow
                    break
                }
                chain.append(rule)
            }
            // Nothing can deny this bit: skip the chain entirely.
            if !chain.contains(where: { !$0.allow }) && (terminal ?? false) { continue }
            let next = asm.newLabel()
            // Bit not requested: on to the next bit.
            asm.emit(.mov32Reg(dst: 1, src: 3))
            asm.emit(.and32(dst: 1, imm: bit))
            asm.jump(.jeq, reg: 1, imm: 0, to: next)
            for (i, rule) in chain.enumerated() {
                let skip = asm.newLabel()
                asm.jump(.jne, reg: 2, imm: rule.type == "b" ? devBlock : devChar, to: skip)
                if let major = rule.major { asm.jump(.jne, reg: 4, imm: Int32(major), to: skip) }
                if let minor = rule.minor { asm.jump(.jne, reg: 5, imm: Int32(minor), to: skip) }
                if rule.allow {
                    // (The chain's last allow falls through to `next` when no default deny follows.)
                    if !(i == chain.count - 1 && terminal == true) { asm.jump(.ja, reg: 0, imm: 0, to: next) }
                } else {
                    asm.emit(.mov32(dst: 0, imm: 0))
                    asm.emit(.exit)
                }
                asm.bind(skip)
            }
            if terminal != true {   // no rule matched (or `deny a` ended the chain): deny
                asm.emit(.mov32(dst: 0, imm: 0))
                asm.emit(.exit)
            }
            asm.bind(next)
        }
        asm.emit(.mov32(dst: 0, imm: 1))
        asm.emit(.exit)
        return asm.finish()
    }

    /// Loads the program for `rules` and attaches it to the cgroup directory `leaf`.
    static func apply(_ rules: [Resources.DeviceRule], _ leaf: String) throws(CgroupError) {
        let insns = try program(rules)
        let cgroupFD = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard cgroupFD >= 0 else { throw CgroupError("devices: open \(leaf): \(String(cString: strerror(errno)))") }
        defer { close(cgroupFD) }
        var log = [CChar](repeating: 0, count: 65536)
        let progFD = insns.map(\.raw).withUnsafeBufferPointer { buf in
            husk_bpf_load_device_prog(buf.baseAddress, UInt32(buf.count), &log, log.count)
        }
        guard progFD >= 0 else {
            let err = -progFD
            let verifier = String(cString: log).split(separator: "\n").suffix(8).joined(separator: "; ")
            throw CgroupError("devices: bpf(BPF_PROG_LOAD) of the \(insns.count)-instruction cgroup device program failed: \(String(cString: strerror(err)))"
                              + (verifier.isEmpty ? "" : " (verifier: \(verifier))"))
        }
        defer { close(progFD) }
        let rc = husk_bpf_attach_cgroup_device(cgroupFD, progFD)
        guard rc == 0 else {
            throw CgroupError("devices: bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE) to \(leaf) failed: \(String(cString: strerror(-rc)))")
        }
    }
}

/// One eBPF instruction (struct bpf_insn), only the forms the device program needs.
struct BPFInsn: Equatable, CustomStringConvertible {
    var code: UInt8
    var dst: UInt8 = 0
    var src: UInt8 = 0
    var off: Int16 = 0
    var imm: Int32 = 0

    static func ldxw(dst: UInt8, src: UInt8, off: Int16) -> BPFInsn { BPFInsn(code: 0x61, dst: dst, src: src, off: off) }  // LDX|MEM|W
    static func and32(dst: UInt8, imm: Int32) -> BPFInsn { BPFInsn(code: 0x54, dst: dst, imm: imm) }     // ALU|AND|K
    static func rsh32(dst: UInt8, imm: Int32) -> BPFInsn { BPFInsn(code: 0x74, dst: dst, imm: imm) }     // ALU|RSH|K
    static func mov32(dst: UInt8, imm: Int32) -> BPFInsn { BPFInsn(code: 0xb4, dst: dst, imm: imm) }     // ALU|MOV|K
    static func mov32Reg(dst: UInt8, src: UInt8) -> BPFInsn { BPFInsn(code: 0xbc, dst: dst, src: src) }  // ALU|MOV|X
    static let exit = BPFInsn(code: 0x95)                                                               // JMP|EXIT

    /// The 8 bytes of struct bpf_insn, little-endian, as one word.
    var raw: UInt64 {
        UInt64(code) | UInt64(dst & 0xf | (src & 0xf) << 4) << 8 | UInt64(UInt16(bitPattern: off)) << 16
            | UInt64(UInt32(bitPattern: imm)) << 32
    }

    var description: String {
        let r = { (n: UInt8) in "r\(n)" }
        switch code {
        case 0x61: return "ldxw \(r(dst)), [\(r(src))+\(off)]"
        case 0x54: return "and32 \(r(dst)), \(imm)"
        case 0x74: return "rsh32 \(r(dst)), \(imm)"
        case 0xb4: return "mov32 \(r(dst)), \(imm)"
        case 0xbc: return "mov32 \(r(dst)), \(r(src))"
        case 0x95: return "exit"
        case 0x05: return "ja +\(off)"
        case 0x15: return "jeq \(r(dst)), \(imm), +\(off)"
        case 0x55: return "jne \(r(dst)), \(imm), +\(off)"
        default: return "code 0x\(String(code, radix: 16))"
        }
    }
}

/// Emits instructions with forward jumps to labels, resolved at the end.
struct BPFAssembler {
    enum Jump: UInt8 { case ja = 0x05, jeq = 0x15, jne = 0x55 }
    private var insns: [BPFInsn] = []
    private var labels: [Int?] = []
    private var fixups: [(at: Int, label: Int)] = []

    mutating func emit(_ i: BPFInsn) { insns.append(i) }
    mutating func newLabel() -> Int { labels.append(nil); return labels.count - 1 }
    mutating func bind(_ label: Int) { labels[label] = insns.count }
    mutating func jump(_ kind: Jump, reg: UInt8, imm: Int32, to label: Int) {
        fixups.append((insns.count, label))
        insns.append(BPFInsn(code: kind.rawValue, dst: kind == .ja ? 0 : reg, imm: kind == .ja ? 0 : imm))
    }
    func finish() -> [BPFInsn] {
        var out = insns
        for f in fixups { out[f.at].off = Int16(labels[f.label]! - f.at - 1) }
        return out
    }
}
