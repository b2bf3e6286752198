import Glibc

/// Per-blob progress of a pull. On a terminal: one line per blob (short digest, bytes of total,
/// done/cached), redrawn in place on stderr; otherwise nothing (the caller prints a final line).
public final class PullProgress: @unchecked Sendable {
    struct Line {
        var label: String
        var total: Int64
        var done: Int64 = 0
        var state = "waiting"
    }

    private let enabled: Bool
    private var lines: [Line] = []
    private var drawn = 0
    private var lock = pthread_mutex_t()

    public init(enabled: Bool) {
        self.enabled = enabled
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    /// Whether stderr is a terminal (progress is for people, not logs).
    public static var stderrIsTerminal: Bool { isatty(2) == 1 && (getenv("TERM").map { String(cString: $0) } ?? "") != "dumb" }

    func add(_ label: String, total: Int64) -> Int {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        lines.append(Line(label: label, total: total))
        return lines.count - 1
    }

    func update(_ i: Int, done: Int64? = nil, state: String? = nil) {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        if let done { lines[i].done = done }
        if let state { lines[i].state = state }
    }

    /// Redraws every line (cursor up over the previous drawing, then each line cleared).
    func draw() {
        guard enabled else { return }
        pthread_mutex_lock(&lock)
        var text = drawn > 0 ? "\u{1b}[\(drawn)A" : ""
        for l in lines {
            let amount = l.state == "downloading" ? "\(PullProgress.size(l.done)) / \(PullProgress.size(l.total))" : l.state
            text += "\r\u{1b}[K" + l.label + "  " + amount + "\n"
        }
        drawn = lines.count
        pthread_mutex_unlock(&lock)
        _ = Array(text.utf8).withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// "1.5 MB", "812 KB", "93 B" (decimal units, as registries and podman show them).
    public static func size(_ n: Int64) -> String {
        if n >= 1_000_000_000 { return tenths(n, 1_000_000_000) + " GB" }
        if n >= 1_000_000 { return tenths(n, 1_000_000) + " MB" }
        if n >= 1_000 { return tenths(n, 1_000) + " KB" }
        return "\(n) B"
    }

    private static func tenths(_ n: Int64, _ unit: Int64) -> String {
        let t = (n * 10 + unit / 2) / unit
        return "\(t / 10).\(t % 10)"
    }
}
