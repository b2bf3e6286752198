import Glibc
import Sys
import Testing

/// Files.removeTree: empty dirs go with one rmdir, full ones are listed; a symlink inside is
/// removed, never followed.
@Suite struct RemoveTreeTests {
    @Test func removesNestedTreesWithoutFollowingSymlinks() throws {
        var template = Array("/tmp/husk-removetree-XXXXXX".utf8CString)
        let base = String(cString: try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }))
        defer { _ = try? Files.removeTree(base) }
        let outside = base + "/outside"
        let tree = base + "/tree"
        for dir in [outside, tree, tree + "/empty", tree + "/a", tree + "/a/b", tree + "/a/b/empty"] { #expect(mkdir(dir, 0o755) == 0) }
        try Files.writeAtomically(outside + "/keep", [1])
        try Files.writeAtomically(tree + "/a/file", [2])
        #expect(symlink(outside, tree + "/a/link") == 0)
        try Files.removeTree(tree)
        #expect(!Files.exists(tree))
        #expect(Files.exists(outside + "/keep"), "the symlink's target was emptied")
        try Files.removeTree(tree)  // gone already: fine
        try Files.removeTree(outside + "/keep")  // a file
        #expect(!Files.exists(outside + "/keep"))
        try Files.removeTree(outside)  // now empty: one rmdir
        #expect(!Files.exists(outside))
    }
}
