import Cgroups
import JSON
import OCI
import Seccomp

/// `husk features`: what this husk supports on this host.
public enum HuskFeatures {
    public static func document() -> JSONValue {
        let v2 = Cgroups.version == .v2
        return Features.json(
            cgroupV1: !v2, cgroupV2: v2,
            seccompEnabled: true,
            // SCMP_ACT_NOTIFY included: its listener fd goes to linux.seccomp.listenerPath.
            seccompActions: LinuxSeccomp.knownActions.sorted(),
            seccompOperators: LinuxSeccomp.knownOperators.sorted(),
            seccompArchitectures: SeccompCompiler.architectures.keys.sorted(),
            seccompFlags: SeccompCompiler.filterFlags.keys.sorted(),
            idmapMounts: true)
    }
}
