import CHusk
import Glibc
import JSON
import OCI
import Sys

/// The seccomp agent of a profile with SCMP_ACT_NOTIFY rules: the unix socket at
/// `linux.seccomp.listenerPath` gets the listener fd with "the container process state"
/// (runtime-spec config-linux.md): one connection per fd, closed after sending.
public struct SeccompListener: Sendable, Equatable {
    public var path: String
    public var metadata: String?

    public init(path: String, metadata: String?) {
        self.path = path
        self.metadata = metadata
    }

    /// Checked at create, before anything is made: the socket must be there.
    static func check(_ path: String) throws(HuskError) {
        var st = stat()
        if stat(path, &st) != 0 {
            throw HuskError("config.json: linux.seccomp.listenerPath: \(path): \(errnoText(errno)) "
                + "(SCMP_ACT_NOTIFY rules need a seccomp agent listening there)")
        }
        if st.st_mode & S_IFMT != S_IFSOCK {
            throw HuskError("config.json: linux.seccomp.listenerPath: \(path) is not a unix socket")
        }
    }

    /// The JSON the agent reads: `pid` is the process the filter belongs to, `state` the
    /// container's state.
    static func processState(ociVersion: String, pid: Int32, metadata: String?, state: JSONValue) -> [UInt8] {
        var o = JSONObject()
        o["ociVersion"] = .string(ociVersion)
        o["fds"] = ["seccompFd"]
        o["pid"] = .int(Int(pid))
        if let metadata { o["metadata"] = .string(metadata) }
        o["state"] = state
        return JSON.serializeBytes(.object(o))
    }

    /// Sends `fd` (which the caller still closes) with `payload`.
    func send(fd: Int32, payload: [UInt8]) throws(HuskError) {
        var stage: UnsafePointer<CChar>? = nil
        let rc = payload.withUnsafeBytes { husk_send_fd_to_path(path, fd, $0.baseAddress, $0.count, &stage) }
        if rc < 0 {
            let what = stage.map { String(cString: $0) } ?? "send"
            throw HuskError("linux.seccomp.listenerPath: \(what) \(path): \(errnoText(-rc)) (stage: seccomp notify)")
        }
    }
}
