import Foundation
import Glibc
import JSON
import Testing
@testable import Runtime

@Suite struct StateStoreTests {
    static func record(_ id: String, pid: Int32 = 4242) -> ContainerRecord {
        ContainerRecord(id: id, ociVersion: "1.2.0", pid: pid, initStartTime: 123_456_789_012, bundle: "/bundles/\(id)",
                        rootfs: "/bundles/\(id)/rootfs", created: "2024-01-02T03:04:05.000000006Z", owner: 0,
                        annotations: [("z.last", "1"), ("a.first", "two words")])
    }

    static func failure(_ body: () throws(HuskError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return error.message
        }
    }

    @Test func claimCreatesTheRootAndTheDirectory() throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp + "/deep/root")
            let dir = try store.claim("c1")
            #expect(dir == tmp + "/deep/root/c1")
            #expect(store.directory(of: "c1") == dir)
            #expect(store.fifoPath(of: "c1") == dir + "/exec.fifo")
            var isDir: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue)
        }
    }

    @Test func claimingTwiceFails() throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp)
            _ = try store.claim("twice")
            let message = Self.failure { () throws(HuskError) in _ = try store.claim("twice") }
            #expect(message?.contains("already exists") == true)
            #expect(message?.contains("\"twice\"") == true)
        }
    }

    @Test func saveAndLoadRoundTrip() throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp)
            _ = try store.claim("round")
            let original = Self.record("round")
            try store.save(original)
            let loaded = try store.load("round")
            #expect(loaded.id == original.id)
            #expect(loaded.ociVersion == original.ociVersion)
            #expect(loaded.pid == original.pid)
            #expect(loaded.initStartTime == original.initStartTime)
            #expect(loaded.bundle == original.bundle)
            #expect(loaded.rootfs == original.rootfs)
            #expect(loaded.created == original.created)
            #expect(loaded.owner == original.owner)
            #expect(loaded.annotations.map(\.0) == ["z.last", "a.first"])
            #expect(loaded.annotations.map(\.1) == ["1", "two words"])

            let attributes = try FileManager.default.attributesOfItem(atPath: tmp + "/round/state.json")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }

    @Test func saveReplacesThePreviousState() throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp)
            _ = try store.claim("again")
            try store.save(Self.record("again", pid: 1))
            try store.save(Self.record("again", pid: 2))
            #expect(try store.load("again").pid == 2)
        }
    }

    @Test func loadingAMissingContainerFails() throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp)
            let message = Self.failure { () throws(HuskError) in _ = try store.load("ghost") }
            #expect(message == "container \"ghost\" does not exist")
        }
    }

    @Test func loadingValidatesTheID() throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp)
            let message = Self.failure { () throws(HuskError) in _ = try store.load("../etc") }
            #expect(message?.contains("invalid container id") == true)
        }
    }

    @Test(arguments: ["not json", "{}", "{\"id\": \"x\"}", "[1, 2]", ""])
    func corruptStateFails(content: String) throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp)
            _ = try store.claim("bad")
            try content.write(toFile: tmp + "/bad/state.json", atomically: false, encoding: .utf8)
            let message = Self.failure { () throws(HuskError) in _ = try store.load("bad") }
            #expect(message?.contains("corrupt") == true)
        }
    }

    @Test func idsListsOnlyDirectoriesWithState() throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp)
            for id in ["b", "a", "claimed-only"] { _ = try store.claim(id) }
            try store.save(Self.record("a"))
            try store.save(Self.record("b"))
            _ = FileManager.default.createFile(atPath: tmp + "/stray-file", contents: Data())
            #expect(store.ids().sorted() == ["a", "b"])
            #expect(StateStore(root: tmp + "/missing").ids().isEmpty)
        }
    }

    @Test func removeDeletesTheDirectory() throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp)
            _ = try store.claim("gone")
            try store.save(Self.record("gone"))
            _ = FileManager.default.createFile(atPath: tmp + "/gone/extra", contents: Data("x".utf8))
            try store.remove("gone")
            #expect(!FileManager.default.fileExists(atPath: tmp + "/gone"))
            #expect(store.ids().isEmpty)
            // The ID can be claimed again.
            _ = try store.claim("gone")
        }
    }

    @Test func lockAndMissingContainer() throws {
        try withTemporaryDirectory { tmp in
            let store = StateStore(root: tmp)
            _ = try store.claim("locked")
            let fd = try store.lock("locked")
            #expect(fd >= 0)
            // A second lock from another open file description would block: check with LOCK_NB.
            let other = open(tmp + "/locked", O_RDONLY | O_DIRECTORY)
            #expect(other >= 0)
            #expect(flock(other, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK)
            close(fd)
            #expect(flock(other, LOCK_EX | LOCK_NB) == 0)
            close(other)

            let message = Self.failure { () throws(HuskError) in _ = try store.lock("nobody") }
            #expect(message == "container \"nobody\" does not exist")
        }
    }
}

@Suite struct ContainerRecordTests {
    @Test func jsonRoundTrip() throws {
        let record = StateStoreTests.record("rt")
        let back = try #require(ContainerRecord(json: record.json))
        #expect(back.id == "rt")
        #expect(back.pid == 4242)
        #expect(back.initStartTime == 123_456_789_012)
        #expect(back.annotations.map(\.0) == ["z.last", "a.first"])
    }

    @Test func ociStateOfARunningContainer() throws {
        let state = StateStoreTests.record("st").ociState(.running)
        let o = try #require(state.object)
        #expect(o["id"]?.string == "st")
        #expect(o["status"]?.string == "running")
        #expect(o["pid"]?.int32 == 4242)
        #expect(o["bundle"]?.string == "/bundles/st")
        #expect(o["ociVersion"]?.string == "1.2.0")
        #expect(o["annotations"]?.object?["a.first"]?.string == "two words")
    }

    @Test func ociStateOfAStoppedContainerHasNoPid() throws {
        let o = try #require(StateStoreTests.record("st").ociState(.stopped).object)
        #expect(o["status"]?.string == "stopped")
        #expect(o["pid"]?.int32 == 0)
    }

    @Test func ociStateOmitsEmptyAnnotations() throws {
        var record = StateStoreTests.record("st")
        record.annotations = []
        let o = try #require(record.ociState(.created).object)
        #expect(o["annotations"] == nil)
    }

    @Test func minimalJSONUsesDefaults() throws {
        var o = JSONObject()
        o["id"] = .string("m")
        o["pid"] = .int(7)
        o["initStartTime"] = .int(1)
        o["bundle"] = .string("/b")
        let record = try #require(ContainerRecord(json: .object(o)))
        #expect(record.ociVersion == "1.2.0")
        #expect(record.rootfs == "")
        #expect(record.owner == 0)
        #expect(record.annotations.isEmpty)
    }

    @Test func missingRequiredFieldsFail() {
        var o = JSONObject()
        o["id"] = .string("m")
        o["pid"] = .int(7)
        #expect(ContainerRecord(json: .object(o)) == nil)
        #expect(ContainerRecord(json: .string("x")) == nil)
    }
}
