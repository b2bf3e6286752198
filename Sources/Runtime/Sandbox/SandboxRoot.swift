import Glibc
import Sys

/// The sandbox's root filesystem at `<dir>/rootfs`: an overlayfs over the lower layer(s) with
/// its upper and work dirs in `<dir>`, or, where overlayfs cannot be mounted there, a bind of
/// the rootfs that the container gets read-only.
///
/// Made on a second thread (`start`) while create sets up the container's cgroups and state
/// dir: the mkdirs and the overlay mount are journal work on a disk that would otherwise sit
/// on the critical path. Everything is read only after `wait()`, on the thread that started it.
final class SandboxRoot: @unchecked Sendable {
    let dir: String
    let lower: String
    var merged: String { dir + "/rootfs" }
    /// Whether an overlay is mounted (false: the read-only bind).
    private(set) var overlay = false
    private(set) var mounted = false
    /// Why the root could not be made (a message for the sandbox's error).
    private(set) var failure: String?
    /// Set when an overlay was refused but one is needed (--image, --export-changes): then
    /// there is no fallback.
    private let overlayNeededFor: String?
    /// Several lower dirs (an image's layers), ':'-joined.
    private let layered: Bool
    private let log: Logger
    private var job: BackgroundJob?

    init(dir: String, lower: String, layered: Bool, overlayNeededFor: String?, log: Logger) {
        self.dir = dir
        self.lower = lower
        self.layered = layered
        self.overlayNeededFor = overlayNeededFor
        self.log = log
    }

    /// overlayfs options cannot name a rootfs path that contains ',' or (a single one) ':'.
    private var overlayPossible: Bool { !lower.contains(",") && (layered || !lower.contains(":")) }

    /// Makes the mount point now (create resolves it at once), the rest on another thread.
    func start() throws(SysError) {
        try retrying("mkdir", path: merged) { mkdir(merged, 0o755) }
        job = BackgroundJob { [self] in make() }
    }

    @discardableResult
    func wait() -> SandboxRoot {
        job?.wait()
        job = nil
        return self
    }

    private func make() {
        do throws(SysError) {
            for sub in ["upper", "work"] { try retrying("mkdir", path: dir + "/" + sub) { mkdir(dir + "/" + sub, 0o755) } }
        } catch {
            failure = "\(error)"
            return
        }
        if overlayPossible {
            if mountOverlay() {
                overlay = true
                mounted = true
                return
            }
            log.warning("sandbox: overlayfs unavailable (\(errnoText(errno))); the root is a read-only bind of \(lower) instead")
        }
        if let need = overlayNeededFor {
            failure = "\(need) needs overlayfs, which is unavailable here"
            return
        }
        if mount(lower, merged, nil, UInt(MS_BIND | MS_REC), nil) != 0 {
            failure = "bind \(lower): \(errnoText(errno))"
            return
        }
        mounted = true
    }

    /// `volatile` (Linux 5.10+) skips syncing the upper dir, which is thrown away anyway: the
    /// unmount otherwise waits for writeback of everything the command wrote. Retried without it.
    private func mountOverlay() -> Bool {
        let options = "lowerdir=\(lower),upperdir=\(dir)/upper,workdir=\(dir)/work"
        return mount("overlay", merged, "overlay", 0, options + ",volatile") == 0
            || mount("overlay", merged, "overlay", 0, options) == 0
    }
}
