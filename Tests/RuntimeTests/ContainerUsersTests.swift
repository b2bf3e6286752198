import Glibc
import Runtime
import Testing

@Suite struct ContainerUsersTests {
    /// A rootfs with /etc/passwd and /etc/group, and a planted symlink that must not lead out.
    func rootfs(passwd: String, group: String) -> String {
        var template = Array("/tmp/husk-users-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        mkdir(dir + "/etc", 0o755)
        for (name, text) in [("passwd", passwd), ("group", group)] {
            let f = fopen(dir + "/etc/" + name, "w")!
            fputs(text, f)
            fclose(f)
        }
        return dir
    }

    @Test func namesIdsGroupsAndSupplementaryGroups() throws {
        let dir = rootfs(passwd: "# comment\nroot:x:0:0::/:/bin/sh\napp:x:1000:1001::/:/bin/sh\n",
                         group: "app:x:1001:\nextra:x:2000:bob,app\nother:x:3000:app\nnone:x:4000:bob\nprimary:x:1001:app\n")
        defer { _ = system("rm -rf \(dir)") }
        let id = { (s: String) throws in try ContainerUsers.identity(s, rootfs: dir, what: "--user") }
        #expect(try id("app") == .init(uid: 1000, gid: 1001, additionalGids: [2000, 3000]))
        #expect(try id("1000") == .init(uid: 1000, gid: 1001, additionalGids: [2000, 3000]))
        #expect(try id("app:extra") == .init(uid: 1000, gid: 2000, additionalGids: []))
        #expect(try id("app:7") == .init(uid: 1000, gid: 7, additionalGids: []))
        #expect(try id("42") == .init(uid: 42, gid: 0, additionalGids: []))
        #expect(try id("42:43") == .init(uid: 42, gid: 43, additionalGids: []))
        #expect(throws: HuskError.self) { try id("ghost") }
        #expect(throws: HuskError.self) { try id("app:ghosts") }
        #expect(throws: HuskError.self) { try id(":1") }
        #expect(throws: HuskError.self) { try id("app:") }
    }

    /// /etc/passwd a symlink to an absolute path: resolved inside the rootfs, never the host's file.
    @Test func symlinkedPasswdStaysInside() throws {
        let dir = rootfs(passwd: "", group: "")
        defer { _ = system("rm -rf \(dir)") }
        unlink(dir + "/etc/passwd")
        symlink("/../../../../../etc/passwd", dir + "/etc/passwd")
        // The host has root in its /etc/passwd; inside, the link leads to the (empty) rootfs file itself.
        #expect(throws: HuskError.self) { try ContainerUsers.identity("root", rootfs: dir, what: "--user") }
    }
}
