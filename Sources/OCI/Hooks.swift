import JSON

/// Commands run at points of the container lifecycle.
public struct Hooks: Sendable, Equatable {
    /// Deprecated in the spec, still honoured: after namespaces exist, before pivot_root.
    public var prestart: [Hook] = []
    public var createRuntime: [Hook] = []
    public var createContainer: [Hook] = []
    public var startContainer: [Hook] = []
    public var poststart: [Hook] = []
    public var poststop: [Hook] = []

    /// No hooks.
    public init() {}

    /// Decodes `hooks`.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        let list = Decode.array(of: Hook.init(json:))
        prestart = try reader.optional("prestart", list) ?? []
        createRuntime = try reader.optional("createRuntime", list) ?? []
        createContainer = try reader.optional("createContainer", list) ?? []
        startContainer = try reader.optional("startContainer", list) ?? []
        poststart = try reader.optional("poststart", list) ?? []
        poststop = try reader.optional("poststop", list) ?? []
    }

    /// Every hook list with its JSON name, in lifecycle order.
    public var namedLists: [(name: String, hooks: [Hook])] {
        [("prestart", prestart), ("createRuntime", createRuntime), ("createContainer", createContainer),
         ("startContainer", startContainer), ("poststart", poststart), ("poststop", poststop)]
    }
}

/// One hook command.
public struct Hook: Sendable, Equatable {
    /// Absolute path of the program, in the runtime's namespace.
    public var path: String
    /// argv, including argv[0]; nil means just the path.
    public var args: [String]?
    public var env: [String]?
    /// Seconds before the hook is killed.
    public var timeout: Int?

    /// A hook running `path`.
    public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
        self.path = path
        self.args = args
        self.env = env
        self.timeout = timeout
    }

    /// Decodes one hook.
    public init(json: JSONValue) throws(SpecError) {
        let reader = try ObjectReader(json)
        path = try reader.required("path", Decode.string)
        args = try reader.optional("args", Decode.strings)
        env = try reader.optional("env", Decode.strings)
        timeout = try reader.optional("timeout", Decode.int)
    }
}
