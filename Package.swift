// swift-tools-version:6.0
import PackageDescription

// Layering (lower never imports higher): CHusk, JSON → OCI → Sys → Runtime → husk.
let package = Package(
    name: "husk",
    targets: [
        // Everything between clone and execve: C only, async-signal-safe, no allocation.
        .target(name: "CHusk"),
        // A small Foundation-free JSON reader/writer for the hot path.
        .target(name: "JSON"),
        // OCI runtime-spec types, decoding with field paths, validation.
        .target(name: "OCI", dependencies: ["JSON"]),
        // Thin Swift wrappers over Linux calls: errno errors with a stage, fds, files.
        .target(name: "Sys", dependencies: ["CHusk"]),
        // Containers: state dir, launch plan, lifecycle verbs, hooks.
        .target(name: "Runtime", dependencies: ["OCI", "JSON", "Sys", "CHusk"]),
        .executableTarget(name: "husk", dependencies: ["Runtime"]),

        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "OCITests", dependencies: ["OCI", "JSON"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "OCI"]),
        .testTarget(name: "IntegrationTests", dependencies: ["JSON"]),
    ]
)
