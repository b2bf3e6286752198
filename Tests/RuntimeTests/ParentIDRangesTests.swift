import OCI
import Testing
@testable import Runtime

/// Host ids of a user namespace mapping must be mapped in husk's own user namespace.
@Suite struct ParentIDRangesTests {
    @Test func parsesAndMergesOwnMaps() {
        #expect(ParentIDRanges.parse("         0          0 4294967295\n")
            == [ParentIDRanges.Range(start: 0, count: 4_294_967_295)])
        // A nested namespace: "0 1000 1" plus "1 100000 65536" (inside ids 0 and 1-65536, adjacent).
        #expect(ParentIDRanges.parse("0 1000 1\n1 100000 65536\n500000 7 2\n")
            == [ParentIDRanges.Range(start: 0, count: 65537), ParentIDRanges.Range(start: 500_000, count: 2)])
        #expect(ParentIDRanges.parse("garbage\n") == [])
    }

    @Test func refusesHostIDsBeyondTheParentRange() throws {
        let parent = ParentIDRanges.parse("0 1000 1\n1 100000 65536\n")
        try ParentIDRanges.check([LinuxIDMapping(containerID: 0, hostID: 0, size: 65537)], field: "linux.uidMappings",
                                 parent: parent, file: "/proc/self/uid_map")
        #expect {
            try ParentIDRanges.check([LinuxIDMapping(containerID: 0, hostID: 0, size: 1),
                                      LinuxIDMapping(containerID: 1, hostID: 65000, size: 1000)],
                                     field: "linux.uidMappings", parent: parent, file: "/proc/self/uid_map")
        } throws: { error in
            (error as? HuskError)?.message == "config.json: linux.uidMappings[1]: host ids 65000-65999 exceed the range of husk's own "
                + "user namespace (/proc/self/uid_map maps 0-65536); id 65537 is not mapped there"
        }
    }
}
