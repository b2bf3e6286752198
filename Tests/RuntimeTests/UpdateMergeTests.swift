// How `update` folds new limits into the saved config: field by field, absent/null/zero keep the old value.
import JSON
@testable import Runtime
import Testing

struct UpdateMergeTests {
    func parse(_ text: String) throws -> JSONValue { try JSON.parse(Array(text.utf8)) }

    @Test func mergesFieldByFieldAndKeepsZeroAndNull() throws {
        let old = try parse(#"{"memory":{"limit":100,"swap":200},"pids":{"limit":5},"cpu":{"shares":1024}}"#)
        let new = try parse(#"{"memory":{"limit":300,"swap":0},"pids":{"limit":-1},"cpu":null,"blockIO":{"weight":10}}"#)
        let merged = Runtime.merge(old, new)
        #expect(merged == (try parse(#"{"memory":{"limit":300,"swap":200},"pids":{"limit":-1},"cpu":{"shares":1024},"blockIO":{"weight":10}}"#)))
    }

    @Test func noOldResourcesTakesTheNewOnes() throws {
        let new = try parse(#"{"pids":{"limit":7}}"#)
        #expect(Runtime.merge(.null, new) == new)
    }

    @Test func arraysAreReplacedWhole() throws {
        let old = try parse(#"{"devices":[{"allow":false,"access":"rwm"}]}"#)
        let new = try parse(#"{"devices":[{"allow":true,"type":"c","major":1,"minor":3,"access":"rw"}]}"#)
        #expect(Runtime.merge(old, new) == new)
    }
}
