import Cgroups
import Glibc
import JSON
import Sys

extension Runtime {
    /// Applies new limits (a `linux.resources` object; absent or zero fields stay as they are)
    /// to a created, running or paused container, as runc's update does.
    public func update(_ id: String, resources: JSONValue) throws(HuskError) {
        let record = try store.load(id)
        let lockFD = try store.lock(id)
        defer { close(lockFD) }
        let st = status(of: record)
        guard st != .stopped else {
            throw HuskError("cannot update container \"\(id)\": container not running")
        }
        do {
            try cgroups(of: record).update(resources: resources)
        } catch {
            throw HuskError("cannot update container \"\(id)\": \(error)")
        }
        recordResources(id, resources)
    }

    /// The saved config.json keeps the limits in force (as runc's state does), so what reads it
    /// later sees the update and not the limits at create.
    private func recordResources(_ id: String, _ resources: JSONValue) {
        let path = store.directory(of: id) + "/config.json"
        guard let bytes = try? Files.read(path), case .object(var config)? = try? JSON.parse(bytes) else { return }
        var linux = config["linux"]?.object ?? JSONObject()
        linux["resources"] = Self.merge(linux["resources"] ?? .null, resources)
        config["linux"] = .object(linux)
        do {
            try Files.writeAtomically(path, JSON.serializeBytes(.object(config)), mode: 0o644)
        } catch {
            log.warning("container \(id): the new limits are in force but were not recorded in \(path): \(error)")
        }
    }

    /// `update`'s rule: objects merge field by field, an absent, null or zero field keeps the old value.
    static func merge(_ old: JSONValue, _ new: JSONValue) -> JSONValue {
        switch (old, new) {
        case (_, .null):
            return old
        case (.object(var o), .object(let n)):
            for (key, value) in n.pairs { o[key] = merge(o[key] ?? .null, value) }
            return .object(o)
        case (.null, _):
            return new
        case (_, .number(let text)) where Double(text) == 0:
            return old
        default:
            return new
        }
    }
}
