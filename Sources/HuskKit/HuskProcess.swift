import Glibc

/// Starting husk and waiting for it without blocking Swift's cooperative threads.
enum HuskProcess {
    static func spawn(_ argv: [String], stdin: Sandbox.Input, stdout: Sandbox.Output, stderr: Sandbox.Output) throws(SandboxError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch stdin {
        case .null: posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case .inherit: break
        case .file(let path): posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0)
        }
        for (fd, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .inherit: break
            case .discard: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
            case .file(let path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .fileDescriptor(let source): posix_spawn_file_actions_adddup2(&actions, source, fd)
            }
        }
        // husk's signal handling starts from the defaults, whatever this program ignores or blocks.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
        if rc != 0 { throw SandboxError("cannot start \(argv[0]): \(String(cString: strerror(rc)))", exitCode: 125) }
        return pid
    }

    /// The wait status of `pid`, from a thread of its own (waitpid blocks).
    static func waitForExit(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let waiter = Waiter(pid: pid, continuation: continuation)
            let context = Unmanaged.passRetained(waiter).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                Unmanaged<Waiter>.fromOpaque(raw!).takeRetainedValue().wait()
                return nil
            }, context)
            if rc == 0 {
                pthread_detach(thread)
            } else {
                // No thread to spare: wait here (blocks this executor thread, but completes).
                Unmanaged<Waiter>.fromOpaque(context).takeRetainedValue().wait()
            }
        }
    }

    private final class Waiter: @unchecked Sendable {
        let pid: pid_t
        let continuation: CheckedContinuation<Int32, Never>

        init(pid: pid_t, continuation: CheckedContinuation<Int32, Never>) {
            self.pid = pid
            self.continuation = continuation
        }

        func wait() {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            continuation.resume(returning: status)
        }
    }

    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal)"
    }

    static func readFile(_ path: String) throws(SandboxError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SandboxError("open \(path): \(String(cString: strerror(errno)))", exitCode: 125) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buf[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
