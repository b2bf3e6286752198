import Glibc

/// One closure on its own thread, joined by `wait()`: blocking kernel work (unmounting,
/// removing a tree) that can overlap the caller's own on another core. If no thread can be
/// made, the closure runs at once on the caller's. Join it before forking or cloning: husk's
/// children start from a single-threaded parent (see DESIGN.md's clone/exec rule).
public final class BackgroundJob: @unchecked Sendable {
    private var thread = pthread_t()
    private var running = false
    private let body: @Sendable () -> Void

    public init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<BackgroundJob>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        if rc == 0 {
            running = true
        } else {
            Unmanaged<BackgroundJob>.fromOpaque(box).release()
            body()
        }
    }

    /// Returns once the closure has finished. Call it from the thread that made the job.
    public func wait() {
        if running { pthread_join(thread, nil) }
        running = false
    }
}
