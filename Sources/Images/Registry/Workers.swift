import Glibc

/// Runs `job(i)` for i in 0..<count on up to `width` threads (plain pthreads: the work is
/// blocking network I/O); the calling thread runs `tick` every `tickMs` until all are done.
/// Returns the first error; after one, no new job starts.
func runConcurrently(count: Int, width: Int, tickMs: Int = 100, tick: () -> Void = {},
                     _ job: @escaping @Sendable (Int) throws(ImageError) -> Void) throws(ImageError) {
    if count == 0 { return }
    let shared = WorkQueue(count: count, job: job)
    let n = max(1, min(width, count))
    var threads: [pthread_t] = []
    for _ in 0..<n {
        var t = pthread_t()
        let box = Unmanaged.passRetained(shared).toOpaque()
        let rc = pthread_create(&t, nil, { arg in
            let q = Unmanaged<WorkQueue>.fromOpaque(arg!).takeRetainedValue()
            q.work()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<WorkQueue>.fromOpaque(box).release()
            shared.fail(ImageError("cannot start a download thread: \(String(cString: strerror(rc)))"))
            break
        }
        threads.append(t)
    }
    while !shared.waitFinished(threads: threads.count, ms: tickMs) { tick() }
    for t in threads { pthread_join(t, nil) }
    tick()
    if let e = shared.firstError { throw e }
}

private final class WorkQueue: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var exitedCond = pthread_cond_t()
    private var next = 0
    private var exited = 0
    private let count: Int
    private let job: @Sendable (Int) throws(ImageError) -> Void
    private(set) var firstError: ImageError?

    init(count: Int, job: @escaping @Sendable (Int) throws(ImageError) -> Void) {
        self.count = count
        self.job = job
        pthread_mutex_init(&lock, nil)
        pthread_cond_init(&exitedCond, nil)
    }

    deinit {
        pthread_cond_destroy(&exitedCond)
        pthread_mutex_destroy(&lock)
    }

    func fail(_ e: ImageError) {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        if firstError == nil { firstError = e }
    }

    /// Whether all `threads` have exited, waiting up to `ms` for it (woken as the last one exits).
    func waitFinished(threads: Int, ms: Int) -> Bool {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        if exited < threads {
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            let ns = Int(ts.tv_nsec) + ms * 1_000_000
            ts.tv_sec += ns / 1_000_000_000
            ts.tv_nsec = ns % 1_000_000_000
            _ = pthread_cond_timedwait(&exitedCond, &lock, &ts)
        }
        return exited >= threads
    }

    func work() {
        while true {
            pthread_mutex_lock(&lock)
            let i = next
            let stop = firstError != nil || i >= count
            if !stop { next += 1 } else { exited += 1; pthread_cond_broadcast(&exitedCond) }
            pthread_mutex_unlock(&lock)
            if stop { return }
            do { try job(i) } catch { fail(error) }
        }
    }
}
