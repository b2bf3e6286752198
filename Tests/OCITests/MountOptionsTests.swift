import Testing
import OCI

@Suite struct MountOptionsTests {
    @Test func mountFlagValuesMatchLinux() {
        #expect(MountFlag.readOnly == 1)
        #expect(MountFlag.noSymfollow == 256)
        #expect(MountFlag.bind == 4096)
        #expect(MountFlag.recursive == 16384)
        #expect(MountFlag.unbindable == 131_072)
        #expect(MountFlag.private == 262_144)
        #expect(MountFlag.slave == 524_288)
        #expect(MountFlag.shared == 1_048_576)
        #expect(MountFlag.relatime == 2_097_152)
        #expect(MountFlag.strictAtime == 16_777_216)
    }

    struct FlagCase: Sendable, CustomTestStringConvertible {
        let option: String
        let sets: UInt
        let clears: UInt
        var testDescription: String { option }
    }

    static let flagCases: [FlagCase] = [
        FlagCase(option: "ro", sets: 1, clears: 0), FlagCase(option: "rw", sets: 0, clears: 1),
        FlagCase(option: "nosuid", sets: 2, clears: 0), FlagCase(option: "suid", sets: 0, clears: 2),
        FlagCase(option: "nodev", sets: 4, clears: 0), FlagCase(option: "dev", sets: 0, clears: 4),
        FlagCase(option: "noexec", sets: 8, clears: 0), FlagCase(option: "exec", sets: 0, clears: 8),
        FlagCase(option: "sync", sets: 16, clears: 0), FlagCase(option: "async", sets: 0, clears: 16),
        FlagCase(option: "remount", sets: 32, clears: 0),
        FlagCase(option: "mand", sets: 64, clears: 0), FlagCase(option: "nomand", sets: 0, clears: 64),
        FlagCase(option: "dirsync", sets: 128, clears: 0),
        FlagCase(option: "nosymfollow", sets: 256, clears: 0), FlagCase(option: "symfollow", sets: 0, clears: 256),
        FlagCase(option: "noatime", sets: 1024, clears: 0), FlagCase(option: "atime", sets: 0, clears: 1024),
        FlagCase(option: "nodiratime", sets: 2048, clears: 0), FlagCase(option: "diratime", sets: 0, clears: 2048),
        FlagCase(option: "bind", sets: 4096, clears: 0), FlagCase(option: "rbind", sets: 4096 | 16384, clears: 0),
        FlagCase(option: "silent", sets: 32768, clears: 0), FlagCase(option: "loud", sets: 0, clears: 32768),
        FlagCase(option: "relatime", sets: 1 << 21, clears: 0), FlagCase(option: "norelatime", sets: 0, clears: 1 << 21),
        FlagCase(option: "iversion", sets: 1 << 23, clears: 0), FlagCase(option: "noiversion", sets: 0, clears: 1 << 23),
        FlagCase(option: "strictatime", sets: 1 << 24, clears: 0),
        FlagCase(option: "nostrictatime", sets: 0, clears: 1 << 24),
        FlagCase(option: "lazytime", sets: 1 << 25, clears: 0), FlagCase(option: "nolazytime", sets: 0, clears: 1 << 25),
    ]

    @Test(arguments: flagCases) func mapsFlagOption(_ example: FlagCase) {
        let parsed = MountOptions.parse([example.option])
        #expect(parsed.flags == example.sets)
        #expect(parsed.clearedFlags == example.clears)
        #expect(parsed.data == "")
        #expect(parsed.propagation == [])
    }

    @Test func laterOptionsOverrideEarlierOnes() {
        let parsed = MountOptions.parse(["ro", "rw", "nosuid", "suid", "nosuid"])
        #expect(parsed.flags == MountFlag.noSuid)
        #expect(parsed.clearedFlags == MountFlag.readOnly)
    }

    @Test func parsesRuncDefaultMounts() {
        let dev = MountOptions.parse(["nosuid", "strictatime", "mode=755", "size=65536k"])
        #expect(dev.flags == MountFlag.noSuid | MountFlag.strictAtime)
        #expect(dev.data == "mode=755,size=65536k")
        let pts = MountOptions.parse(["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])
        #expect(pts.flags == MountFlag.noSuid | MountFlag.noExec)
        #expect(pts.data == "newinstance,ptmxmode=0666,mode=0620,gid=5")
        let cgroup = MountOptions.parse(["nosuid", "noexec", "nodev", "relatime", "ro"])
        #expect(cgroup.flags == 2 | 8 | 4 | (1 << 21) | 1)
        #expect(!cgroup.isBind)
    }

    @Test func recognisesBinds() {
        #expect(MountOptions.parse(["bind"]).isBind)
        #expect(!MountOptions.parse(["bind"]).isRecursiveBind)
        #expect(MountOptions.parse(["rbind", "ro"]).isRecursiveBind)
        #expect(!MountOptions.parse([]).isBind)
    }

    @Test func collectsPropagationInOrder() {
        let parsed = MountOptions.parse(["rprivate", "shared", "rslave", "unbindable", "private", "rshared", "slave", "runbindable"])
        let rec = MountFlag.recursive
        #expect(parsed.propagation == [
            MountFlag.private | rec, MountFlag.shared, MountFlag.slave | rec, MountFlag.unbindable,
            MountFlag.private, MountFlag.shared | rec, MountFlag.slave, MountFlag.unbindable | rec,
        ])
        #expect(parsed.flags == 0)
    }

    struct AttrCase: Sendable, CustomTestStringConvertible {
        let option: String
        let set: UInt64
        let clear: UInt64
        var testDescription: String { option }
    }

    static let attrCases: [AttrCase] = [
        AttrCase(option: "rro", set: 0x1, clear: 0), AttrCase(option: "rrw", set: 0, clear: 0x1),
        AttrCase(option: "rnosuid", set: 0x2, clear: 0), AttrCase(option: "rsuid", set: 0, clear: 0x2),
        AttrCase(option: "rnodev", set: 0x4, clear: 0), AttrCase(option: "rdev", set: 0, clear: 0x4),
        AttrCase(option: "rnoexec", set: 0x8, clear: 0), AttrCase(option: "rexec", set: 0, clear: 0x8),
        AttrCase(option: "rnodiratime", set: 0x80, clear: 0), AttrCase(option: "rdiratime", set: 0, clear: 0x80),
        // Access-time modes also clear MOUNT_ATTR__ATIME, as mount_setattr(2) requires.
        AttrCase(option: "rrelatime", set: 0, clear: 0x70), AttrCase(option: "rnorelatime", set: 0, clear: 0),
        AttrCase(option: "rnoatime", set: 0x10, clear: 0x70), AttrCase(option: "ratime", set: 0, clear: 0x10),
        AttrCase(option: "rstrictatime", set: 0x20, clear: 0x70), AttrCase(option: "rnostrictatime", set: 0, clear: 0x20),
        AttrCase(option: "rnosymfollow", set: 0x200000, clear: 0), AttrCase(option: "rsymfollow", set: 0, clear: 0x200000),
    ]

    @Test(arguments: attrCases) func mapsRecursiveAttribute(_ example: AttrCase) {
        let parsed = MountOptions.parse([example.option])
        #expect(parsed.recursiveAttrSet == example.set)
        #expect(parsed.recursiveAttrClear == example.clear)
        #expect(parsed.flags == 0)
        #expect(parsed.data == "")
    }

    @Test func combinesRecursiveAttributes() {
        let parsed = MountOptions.parse(["rbind", "rro", "rnosuid", "rrw"])
        #expect(parsed.recursiveAttrSet == MountAttr.noSuid)
        #expect(parsed.recursiveAttrClear == MountAttr.readOnly)
        #expect(parsed.isRecursiveBind)
    }

    @Test func notesSpecialOptionsWithoutPassingThemAsData() {
        let parsed = MountOptions.parse(["defaults", "tmpcopyup", "idmap", "size=1m"])
        #expect(parsed.tmpcopyup)
        #expect(parsed.idmap)
        #expect(!parsed.recursiveIdmap)
        #expect(parsed.data == "size=1m")
        let recursive = MountOptions.parse(["ridmap"])
        #expect(recursive.idmap && recursive.recursiveIdmap)
    }

    @Test func passesUnknownOptionsAsData() {
        let parsed = MountOptions.parse(["lowerdir=/a:/b", "upperdir=/u", "ro", "xino=off", "acl"])
        #expect(parsed.data == "lowerdir=/a:/b,upperdir=/u,xino=off,acl")
        #expect(parsed.flags == MountFlag.readOnly)
    }

    @Test func knownOptionsCoverTheFeaturesExample() {
        let known = Set(MountOptions.knownOptions)
        for option in ["async", "atime", "bind", "defaults", "dev", "rro", "rbind", "tmpcopyup", "unbindable", "symfollow"] {
            #expect(known.contains(option), "\(option)")
        }
        #expect(!known.contains("acl"))
        #expect(MountOptions.knownOptions == MountOptions.knownOptions.sorted())
    }
}
