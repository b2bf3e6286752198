import JSON

/// The OCI features document (`husk features`), runtime-spec features.md and features-linux.md.
public enum Features {
    /// The hooks husk runs.
    public static let hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]

    /// The features document. What husk cannot do yet is reported as disabled, so engines do not ask for it.
    public static func json(
        cgroupV1: Bool = false, cgroupV2: Bool = false, systemd: Bool = false,
        seccompEnabled: Bool = false, seccompActions: [String] = [], seccompOperators: [String] = [],
        seccompArchitectures: [String] = [], seccompFlags: [String] = [],
        idmapMounts: Bool = false, annotations: [String: String] = [:]
    ) -> JSONValue {
        var seccomp: JSONObject = ["enabled": .bool(seccompEnabled)]
        if seccompEnabled {
            seccomp["actions"] = Encode.strings(seccompActions)
            seccomp["operators"] = Encode.strings(seccompOperators)
            seccomp["archs"] = Encode.strings(seccompArchitectures)
            seccomp["knownFlags"] = Encode.strings(seccompFlags)
            seccomp["supportedFlags"] = Encode.strings(seccompFlags)
        }
        let linux: JSONValue = [
            "namespaces": Encode.strings(NamespaceKind.allCases.map(\.rawValue).sorted()),
            "capabilities": Encode.strings(Capabilities.allNames),
            "cgroup": ["v1": .bool(cgroupV1), "v2": .bool(cgroupV2), "systemd": .bool(systemd),
                       "systemdUser": .bool(systemd), "rdma": false],
            "seccomp": .object(seccomp),
            "apparmor": ["enabled": false],
            "selinux": ["enabled": false],
            "intelRdt": ["enabled": false],
            "mountExtensions": ["idmap": ["enabled": .bool(idmapMounts)]],
        ]
        var document: JSONObject = [
            "ociVersionMin": .string(OCIVersion.minimum),
            "ociVersionMax": .string(OCIVersion.current),
            "hooks": Encode.strings(hooks),
            "mountOptions": Encode.strings(MountOptions.knownOptions),
            "linux": linux,
        ]
        if !annotations.isEmpty { document["annotations"] = Encode.stringMap(annotations) }
        return .object(document)
    }
}
