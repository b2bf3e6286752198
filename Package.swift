// swift-tools-version:6.0
import PackageDescription

// Layering (lower never imports higher): CHusk, CSeccomp, JSON → OCI → Sys → Tar, Seccomp, Cgroups → Runtime, Images → husk;
// CNet → HTTP → Images.
// HuskKit (for programs that embed husk) drives the husk binary and needs only JSON.
let package = Package(
    name: "husk",
    products: [
        .executable(name: "husk", targets: ["husk"]),
        .library(name: "HuskKit", targets: ["HuskKit"]),
    ],
    targets: [
        // Everything between clone and execve: C only, async-signal-safe, no allocation.
        .target(name: "CHusk"),
        // A small Foundation-free JSON reader/writer for the hot path.
        .target(name: "JSON"),
        // OCI runtime-spec types, decoding with field paths, validation.
        .target(name: "OCI", dependencies: ["JSON"]),
        // Thin Swift wrappers over Linux calls: errno errors with a stage, fds, files.
        .target(name: "Sys", dependencies: ["CHusk"]),
        // The tar writer shared by sandbox --export-changes, image export and the tests.
        .target(name: "Tar", dependencies: ["Sys"]),
        // libseccomp (linked statically into husk) plus C wrappers for its macros and BPF export.
        .target(name: "CSeccomp", linkerSettings: [.linkedLibrary("seccomp")]),
        // OCI seccomp profile → classic BPF, compiled in the parent.
        .target(name: "Seccomp", dependencies: ["OCI", "CSeccomp"]),
        // cgroup v2 and v1 (hybrid hosts) drivers: create, limits from linux.resources, freeze, kill, destroy.
        .target(name: "Cgroups", dependencies: ["JSON", "Sys", "CHusk"]),
        // Containers: state dir, launch plan, lifecycle verbs, hooks.
        .target(name: "Runtime", dependencies: ["OCI", "JSON", "Sys", "Tar", "CHusk", "CImages", "Seccomp", "Cgroups"]),
        // SHA-256, gzip (zlib) and zstd (libzstd) streams, openat2 for unpacking inside a root.
        .target(name: "CImages", linkerSettings: [.linkedLibrary("z"), .linkedLibrary("zstd")]),
        // TCP with timeouts and TLS through the system OpenSSL (libssl.a/libcrypto.a in the static binary).
        .target(name: "CNet", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        // A small HTTP/1.1 client over CNet: bodies by length or chunks, redirects, timeouts.
        .target(name: "HTTP", dependencies: ["CNet"]),
        // Content store, tar/pax unpacking with whiteouts, image import/export, registry pull, snapshots, bundles.
        .target(name: "Images", dependencies: ["JSON", "OCI", "Sys", "Tar", "CImages", "HTTP"]),
        .executableTarget(name: "husk", dependencies: ["Runtime", "Images"]),
        // `try await Sandbox(rootfs:command:).run()`: husk sandbox for Swift programs.
        .target(name: "HuskKit", dependencies: ["JSON"]),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "OCITests", dependencies: ["OCI", "JSON"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "OCI", "Tar", "Seccomp", "Sys"]),
        .testTarget(name: "SeccompTests", dependencies: ["Seccomp", "CSeccomp", "OCI"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups", "JSON", "Sys"]),
        .testTarget(name: "ImagesTests", dependencies: ["Images", "CImages", "JSON", "Tar", "Sys"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "IntegrationTests", dependencies: ["JSON", "OCI"]),
        .testTarget(name: "HuskKitTests", dependencies: ["HuskKit"]),
    ]
)
