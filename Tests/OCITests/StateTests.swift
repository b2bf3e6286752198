import JSON
import Testing
import OCI

@Suite struct StateTests {
    @Test func writesFieldsInSpecOrder() {
        let state = State(id: "c1", status: .running, pid: 4242, bundle: "/b", annotations: ["z": "1", "a": "2"])
        #expect(JSON.serialize(state.json)
            == #"{"ociVersion":"1.2.0","id":"c1","status":"running","pid":4242,"bundle":"/b","annotations":{"a":"2","z":"1"}}"#)
    }

    @Test func omitsAbsentPidAndEmptyAnnotations() {
        let state = State(id: "c1", status: .stopped, pid: nil, bundle: "/b")
        #expect(JSON.serialize(state.json) == #"{"ociVersion":"1.2.0","id":"c1","status":"stopped","bundle":"/b"}"#)
    }

    @Test(arguments: State.Status.allCases) func roundTrips(_ status: State.Status) throws {
        let state = State(id: "x", status: status, pid: status == .stopped ? nil : 7, bundle: "/run/b",
                          annotations: ["k": "v"])
        #expect(try State(json: state.json) == state)
        #expect(try State(json: JSON.parse(JSON.serialize(state.json, pretty: true))) == state)
    }

    @Test func decodesRuncOutput() throws {
        let json = try JSON.parse("""
            {"ociVersion": "1.0.2-dev", "id": "abc", "pid": 123, "status": "created", "bundle": "/x",
             "rootfs": "/x/rootfs", "created": "2024-01-01T00:00:00Z", "owner": ""}
            """)
        let state = try State(json: json)
        #expect(state == State(ociVersion: "1.0.2-dev", id: "abc", status: .created, pid: 123, bundle: "/x"))
    }

    @Test func errorsNameStateJSON() throws {
        #expect(throws: SpecError.self) { try State(json: ["id": "x"]) }
        do {
            _ = try State(json: ["ociVersion": "1.2.0", "id": "x", "status": "zombie", "bundle": "/b"])
        } catch {
            #expect(error.description
                == #"state.json: status: unknown status "zombie", expected one of creating, created, running, stopped, paused"#)
        }
        do {
            _ = try State(json: ["ociVersion": "1.2.0", "id": "x", "status": "created", "bundle": "/b", "pid": "1"])
        } catch {
            #expect(error.description == #"state.json: pid: expected a 32-bit integer, found string "1""#)
        }
        do {
            _ = try State(json: ["ociVersion": "1.2.0", "status": "created", "bundle": "/b"])
        } catch {
            #expect(error.description == "state.json: id: required field is missing")
        }
    }
}
