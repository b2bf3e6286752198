@testable import Images
import Glibc
import Testing

/// Counts jobs running at once (and in total) under a lock.
private final class Gauge: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private(set) var running = 0
    private(set) var peak = 0
    private(set) var done: [Int] = []
    init() { pthread_mutex_init(&lock, nil) }
    func enter() { pthread_mutex_lock(&lock); running += 1; peak = max(peak, running); pthread_mutex_unlock(&lock) }
    func leave(_ i: Int) { pthread_mutex_lock(&lock); running -= 1; done.append(i); pthread_mutex_unlock(&lock) }
}

@Suite struct WorkersTests {
    @Test func runsEveryJobAtMostWidthAtOnce() throws {
        let g = Gauge()
        var ticks = 0
        try runConcurrently(count: 9, width: 3, tickMs: 5, tick: { ticks += 1 }) { (i: Int) throws(ImageError) in
            g.enter()
            usleep(20_000)
            g.leave(i)
        }
        #expect(g.done.sorted() == Array(0..<9))
        #expect(g.peak == 3, "three at a time, not one after another and not all at once")
        #expect(ticks >= 1)
    }

    @Test func firstErrorWinsAndStopsNewJobs() {
        let g = Gauge()
        do {
            try runConcurrently(count: 50, width: 2) { (i: Int) throws(ImageError) in
                g.enter()
                defer { g.leave(i) }
                if i == 1 { throw ImageError("job 1 failed") }
                usleep(5_000)
            }
            Issue.record("the error must come back")
        } catch {
            #expect(error.message == "job 1 failed")
        }
        #expect(g.done.count < 50, "no new job starts after a failure (ran \(g.done.count))")
    }
}
