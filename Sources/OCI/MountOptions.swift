/// Linux mount(2) flags, as numbers so this module needs no C headers.
public enum MountFlag {
    public static let readOnly: UInt = 1  // MS_RDONLY
    public static let noSuid: UInt = 2  // MS_NOSUID
    public static let noDev: UInt = 4  // MS_NODEV
    public static let noExec: UInt = 8  // MS_NOEXEC
    public static let synchronous: UInt = 16  // MS_SYNCHRONOUS
    public static let remount: UInt = 32  // MS_REMOUNT
    public static let mandatoryLock: UInt = 64  // MS_MANDLOCK
    public static let dirSync: UInt = 128  // MS_DIRSYNC
    public static let noSymfollow: UInt = 256  // MS_NOSYMFOLLOW
    public static let noAtime: UInt = 1024  // MS_NOATIME
    public static let noDirAtime: UInt = 2048  // MS_NODIRATIME
    public static let bind: UInt = 4096  // MS_BIND
    public static let recursive: UInt = 16384  // MS_REC
    public static let silent: UInt = 32768  // MS_SILENT
    public static let unbindable: UInt = 1 << 17  // MS_UNBINDABLE
    public static let `private`: UInt = 1 << 18  // MS_PRIVATE
    public static let slave: UInt = 1 << 19  // MS_SLAVE
    public static let shared: UInt = 1 << 20  // MS_SHARED
    public static let relatime: UInt = 1 << 21  // MS_RELATIME
    public static let iVersion: UInt = 1 << 23  // MS_I_VERSION
    public static let strictAtime: UInt = 1 << 24  // MS_STRICTATIME
    public static let lazyTime: UInt = 1 << 25  // MS_LAZYTIME
}

/// mount_setattr(2) MOUNT_ATTR_* bits, used for the recursive "r…" options.
public enum MountAttr {
    public static let readOnly: UInt64 = 0x1  // MOUNT_ATTR_RDONLY
    public static let noSuid: UInt64 = 0x2  // MOUNT_ATTR_NOSUID
    public static let noDev: UInt64 = 0x4  // MOUNT_ATTR_NODEV
    public static let noExec: UInt64 = 0x8  // MOUNT_ATTR_NOEXEC
    public static let atimeMask: UInt64 = 0x70  // MOUNT_ATTR__ATIME
    public static let relatime: UInt64 = 0x0  // MOUNT_ATTR_RELATIME
    public static let noAtime: UInt64 = 0x10  // MOUNT_ATTR_NOATIME
    public static let strictAtime: UInt64 = 0x20  // MOUNT_ATTR_STRICTATIME
    public static let noDirAtime: UInt64 = 0x80  // MOUNT_ATTR_NODIRATIME
    public static let idmap: UInt64 = 0x100000  // MOUNT_ATTR_IDMAP
    public static let noSymfollow: UInt64 = 0x200000  // MOUNT_ATTR_NOSYMFOLLOW
}

/// The meaning of a mount's `options`, split the way runc's specconv does.
public struct MountOptions: Sendable, Equatable {
    /// MS_* flags to pass to mount(2).
    public var flags: UInt = 0
    /// MS_* flags explicitly turned off ("rw", "suid"…); matters for bind remounts, which inherit flags.
    public var clearedFlags: UInt = 0
    /// Propagation changes, each a separate mount(2) call, in order.
    public var propagation: [UInt] = []
    /// MOUNT_ATTR_* bits to set recursively with mount_setattr(2).
    public var recursiveAttrSet: UInt64 = 0
    /// MOUNT_ATTR_* bits to clear recursively with mount_setattr(2).
    public var recursiveAttrClear: UInt64 = 0
    /// Filesystem-specific options, comma-joined, for mount(2)'s data argument.
    public var data = ""
    /// "idmap" or "ridmap" was given: make an id-mapped mount.
    public var idmap = false
    /// "ridmap": the id mapping applies to submounts too.
    public var recursiveIdmap = false
    /// "tmpcopyup" was given (copy the image's directory into a new tmpfs); not acted on yet.
    public var tmpcopyup = false

    /// True for "bind" and "rbind".
    public var isBind: Bool { flags & MountFlag.bind != 0 }
    /// True for "rbind".
    public var isRecursiveBind: Bool { isBind && flags & MountFlag.recursive != 0 }

    /// Splits `options` into flags, propagation, recursive attributes and data.
    public static func parse(_ options: [String]) -> MountOptions {
        var result = MountOptions()
        var data: [String] = []
        for option in options {
            if let (clear, flag) = flagOptions[option] {
                if clear {
                    result.flags &= ~flag
                    result.clearedFlags |= flag
                } else {
                    result.flags |= flag
                    result.clearedFlags &= ~flag
                }
            } else if let propagation = propagationOptions[option] {
                result.propagation.append(propagation)
            } else if let (clear, attr) = recursiveAttrOptions[option] {
                if clear {
                    result.recursiveAttrClear |= attr
                    result.recursiveAttrSet &= ~attr
                } else {
                    result.recursiveAttrSet |= attr
                    result.recursiveAttrClear &= ~attr
                    // mount_setattr(2): an access-time setting must also clear MOUNT_ATTR__ATIME.
                    if attr & MountAttr.atimeMask == attr { result.recursiveAttrClear |= MountAttr.atimeMask }
                }
            } else {
                switch option {
                // runc sends "defaults" to the filesystem as data, where most reject it; it means "no change".
                case "defaults": break
                case "tmpcopyup": result.tmpcopyup = true
                case "idmap": result.idmap = true
                case "ridmap":
                    result.idmap = true
                    result.recursiveIdmap = true
                default: data.append(option)
                }
            }
        }
        result.data = data.joined(separator: ",")
        return result
    }

    /// Every option name `parse` recognizes (for the features document).
    public static var knownOptions: [String] {
        (Array(flagOptions.keys) + Array(propagationOptions.keys) + Array(recursiveAttrOptions.keys)
            + ["defaults", "tmpcopyup"]).sorted()
    }

    /// Propagation option names and their MS_* flags; the names `rootfsPropagation` accepts too.
    public static let propagationOptions: [String: UInt] = [
        "private": MountFlag.private, "rprivate": MountFlag.private | MountFlag.recursive,
        "shared": MountFlag.shared, "rshared": MountFlag.shared | MountFlag.recursive,
        "slave": MountFlag.slave, "rslave": MountFlag.slave | MountFlag.recursive,
        "unbindable": MountFlag.unbindable, "runbindable": MountFlag.unbindable | MountFlag.recursive,
    ]

    /// Flag options: whether the option clears the flag, and the flag. runc's table, minus "acl"
    /// (MS_POSIXACL is kernel-internal, runc#3738).
    static let flagOptions: [String: (clear: Bool, flag: UInt)] = [
        "async": (true, MountFlag.synchronous), "sync": (false, MountFlag.synchronous),
        "atime": (true, MountFlag.noAtime), "noatime": (false, MountFlag.noAtime),
        "bind": (false, MountFlag.bind), "rbind": (false, MountFlag.bind | MountFlag.recursive),
        "dev": (true, MountFlag.noDev), "nodev": (false, MountFlag.noDev),
        "diratime": (true, MountFlag.noDirAtime), "nodiratime": (false, MountFlag.noDirAtime),
        "dirsync": (false, MountFlag.dirSync),
        "exec": (true, MountFlag.noExec), "noexec": (false, MountFlag.noExec),
        "iversion": (false, MountFlag.iVersion), "noiversion": (true, MountFlag.iVersion),
        "lazytime": (false, MountFlag.lazyTime), "nolazytime": (true, MountFlag.lazyTime),
        "loud": (true, MountFlag.silent), "silent": (false, MountFlag.silent),
        "mand": (false, MountFlag.mandatoryLock), "nomand": (true, MountFlag.mandatoryLock),
        "relatime": (false, MountFlag.relatime), "norelatime": (true, MountFlag.relatime),
        "strictatime": (false, MountFlag.strictAtime), "nostrictatime": (true, MountFlag.strictAtime),
        "suid": (true, MountFlag.noSuid), "nosuid": (false, MountFlag.noSuid),
        "symfollow": (true, MountFlag.noSymfollow), "nosymfollow": (false, MountFlag.noSymfollow),
        "remount": (false, MountFlag.remount),
        "ro": (false, MountFlag.readOnly), "rw": (true, MountFlag.readOnly),
    ]

    /// Recursive attribute options: whether the option clears the attribute, and the MOUNT_ATTR_* bit.
    static let recursiveAttrOptions: [String: (clear: Bool, attr: UInt64)] = [
        "rro": (false, MountAttr.readOnly), "rrw": (true, MountAttr.readOnly),
        "rnosuid": (false, MountAttr.noSuid), "rsuid": (true, MountAttr.noSuid),
        "rnodev": (false, MountAttr.noDev), "rdev": (true, MountAttr.noDev),
        "rnoexec": (false, MountAttr.noExec), "rexec": (true, MountAttr.noExec),
        "rnodiratime": (false, MountAttr.noDirAtime), "rdiratime": (true, MountAttr.noDirAtime),
        "rrelatime": (false, MountAttr.relatime), "rnorelatime": (true, MountAttr.relatime),
        "rnoatime": (false, MountAttr.noAtime), "ratime": (true, MountAttr.noAtime),
        "rstrictatime": (false, MountAttr.strictAtime), "rnostrictatime": (true, MountAttr.strictAtime),
        "rnosymfollow": (false, MountAttr.noSymfollow), "rsymfollow": (true, MountAttr.noSymfollow),
    ]
}
