import Glibc
import Images
import Runtime

let pullOptions: [Arguments.Option] = [
    .init(names: ["platform"], takesValue: true, help: "OS/ARCH[/VARIANT] to pick from an index (default linux/\(Platform.host.architecture))"),
    .init(names: ["authfile"], takesValue: true, help: "registry credentials (default: $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)"),
    .init(names: ["plain-http"], takesValue: false, help: "talk plain HTTP to the registry (no TLS)"),
    .init(names: ["insecure"], takesValue: false, help: "do not verify the registry's TLS certificate; fall back to plain HTTP if it has no TLS"),
    .init(names: ["ca-file"], takesValue: true, help: "PEM file of CA certificates to trust besides the system's"),
    .init(names: ["timeout"], takesValue: true, help: "seconds to wait for a connection or any progress (default 30)"),
    .init(names: ["quiet", "q"], takesValue: false, help: "no progress; print only the manifest digest"),
]

let pullHelp = """

REF is [REGISTRY/]REPOSITORY[:TAG][@sha256:DIGEST]. Without a registry part it is docker.io
(library/ is added to one-word names); the first part is a registry when it has a '.' or ':'
or is 'localhost'. The tag defaults to latest. The image is recorded as REGISTRY/REPOSITORY:TAG
(or @DIGEST), which 'husk run' then accepts.

TLS is verified against the system's CAs (SSL_CERT_FILE/SSL_CERT_DIR respected) plus --ca-file.
Plain HTTP is used only with --plain-http, or as a fallback with --insecure; localhost gets no
exception. Credentials: Bearer tokens (anonymous or with the user and password of the auth file)
and Basic auth, from the "auths" entries of the auth file (containers auth.json or Docker's
config.json; credential helpers are not run).

Progress is shown per blob on a terminal (stderr); otherwise only a final line on stdout.

"""

let pullCommand = Command(
    name: "pull", usage: "[options] REF",
    summary: "Pull an image from a registry (OCI distribution API) into the image store.",
    options: pullOptions, extraHelp: pullHelp
) { args, ctx in
    let ref = try Command.positionals(args, "REF", command: "pull")[0]
    return try pullImage(ref, args, ctx)
}

func pullImage(_ text: String, _ args: Arguments, _ ctx: Context) throws -> Int32 {
    if args.positionals.count > 1 { throw UsageError("'husk pull' takes one REF (got \(args.positionals.count))") }
    let reference = try Reference.parse(text)
    var options = RegistryOptions()
    options.plainHTTP = args.flag("plain-http")
    options.insecure = args.flag("insecure")
    options.caFile = args.value("ca-file")
    options.authfile = args.value("authfile")
    if let t = args.value("timeout") {
        guard let s = Double(t), s > 0, s <= 86400 else { throw UsageError("--timeout \(t): expected seconds, e.g. 30 or 0.5") }
        options.timeoutMs = Int(s * 1000)
    }
    let platform = try args.value("platform").map { (p: String) throws(ImageError) in try Platform.parse(p) } ?? .host
    let quiet = args.flag("quiet")
    let store = try ContentStore(root: ctx.storage)
    let progress = PullProgress(enabled: !quiet && PullProgress.stderrIsTerminal)
    let start = monotonicSeconds()
    let result = try Puller(store: store, reference: reference, options: options, platform: platform, progress: progress).pull()
    if quiet {
        print(result.digest)
    } else {
        let secs = monotonicSeconds() - start
        let plat = result.platform.map { " \($0)" } ?? ""
        print("pulled \(result.name) \(result.digest)\(plat): \(result.layers) layer\(result.layers == 1 ? "" : "s"), \(result.fetchedBlobs) blobs fetched (\(PullProgress.size(result.fetchedBytes))), \(result.cachedBlobs) cached, \(formatSeconds(secs))")
    }
    return 0
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func formatSeconds(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    return "\(ms / 1000).\(String(repeating: "0", count: 3 - String(ms % 1000).count))\(ms % 1000) s"
}
