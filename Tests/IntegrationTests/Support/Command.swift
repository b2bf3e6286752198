// Running a subprocess with its output captured in files and a hard timeout.
//
// posix_spawn rather than Foundation.Process: the child's stdio are opened by the spawn file
// actions (nothing leaks into the parent, so parallel tests cannot hand each other fds), and a
// container left running by `create` or `run -d` keeps writing to a file instead of holding a pipe
// open. On timeout the whole process group is killed, so a hung runtime fails the test instead of
// hanging CI.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct CommandResult: CustomStringConvertible {
    var argv: [String]
    /// Exit code, or 128+N when killed by signal N (as a shell reports it).
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
    var elapsed: Double

    var succeeded: Bool { status == 0 && !timedOut }

    var description: String {
        "`\(argv.joined(separator: " "))` → status \(status)\(timedOut ? " (timed out)" : "")\n"
            + "stdout: \(stdout)\nstderr: \(stderr)"
    }
}

enum CommandError: Error, CustomStringConvertible {
    case spawn(String, Int32)
    var description: String {
        switch self {
        case let .spawn(what, err): "posix_spawn \(what): \(String(cString: strerror(err)))"
        }
    }
}

/// A spawned child in its own process group; wait for it with `wait(timeout:)`.
final class Child: @unchecked Sendable {
    let pid: pid_t
    let argv: [String]
    let stdoutPath: String
    let stderrPath: String
    private let started = Date()
    private var reaped: Int32?

    /// `cwd`: where the command runs (tools like conmon drop files in their cwd; never the repo).
    init(_ argv: [String], stdin: String = "/dev/null", outputDir: String,
         environment: [String: String]? = nil, cwd: String? = nil) throws {
        // glibc's posix_spawn_file_actions_addchdir_np is not visible from Swift: env -C does it.
        let argv = cwd.map { ["/usr/bin/env", "-C", $0] + argv } ?? argv
        self.argv = argv
        let tag = "\(UInt64.random(in: 0...UInt64.max))"
        stdoutPath = "\(outputDir)/out-\(tag)"
        stderrPath = "\(outputDir)/err-\(tag)"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group (for the timeout kill), default dispositions and an empty mask: the
        // test process may ignore SIGPIPE or block signals, and children must not inherit that.
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, &cArgs, &cEnv)
        guard rc == 0 else { throw CommandError.spawn(argv[0], rc) }
        self.pid = pid
    }

    /// Non-blocking: the exit status once the child has exited.
    func poll() -> Int32? {
        if let reaped { return reaped }
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        guard rc == pid else { return nil }
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        reaped = code
        return code
    }

    /// Waits up to `timeout` seconds; kills the process group if it is still running then.
    func wait(timeout: Double = 20) async -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while poll() == nil {
            if Date() > deadline {
                timedOut = true
                kill()
                while poll() == nil { try? await Task.sleep(for: .milliseconds(5)) }
                break
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return result(timedOut: timedOut)
    }

    /// The blocking twin of `wait`, for cleanup paths (`defer` cannot await).
    func waitSync(timeout: Double = 20) -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while poll() == nil {
            if Date() > deadline {
                timedOut = true
                kill()
                while poll() == nil { usleep(5000) }
                break
            }
            usleep(2000)
        }
        return result(timedOut: timedOut)
    }

    func kill() {
        _ = Glibc.kill(-pid, SIGKILL)
        _ = Glibc.kill(pid, SIGKILL)
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    private func result(timedOut: Bool) -> CommandResult {
        CommandResult(argv: argv, status: reaped ?? -1, stdout: stdout, stderr: stderr,
                      timedOut: timedOut, elapsed: Date().timeIntervalSince(started))
    }
}
