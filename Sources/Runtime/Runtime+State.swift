import JSON
import Sys

extension Runtime {
    /// The OCI state of one container.
    public func state(_ id: String) throws(HuskError) -> JSONValue {
        let record = try store.load(id)
        return record.ociState(status(of: record))
    }

    /// Every container under the root with its live status, sorted by ID.
    public func list() -> [(record: ContainerRecord, status: Status)] {
        store.ids().compactMap { id in
            guard let record = try? store.load(id) else { return nil }
            return (record, status(of: record))
        }
    }
}
