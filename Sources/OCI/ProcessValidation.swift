// Rules for config.json `process`.

extension Checker {
    static let schedulerPolicies: Set<String> = [
        "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE",
    ]
    static let schedulerFlags: Set<String> = [
        "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN", "SCHED_FLAG_KEEP_POLICY",
        "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN", "SCHED_FLAG_UTIL_CLAMP_MAX",
    ]
    static let ioPriorityClasses: Set<String> = ["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"]

    mutating func process(_ process: Process) {
        if process.args.isEmpty { fail("args", "must name a program to run") }
        requireAbsolute(process.cwd, "cwd")
        for (position, entry) in process.env.enumerated() {
            guard let equals = entry.firstIndex(of: "=") else {
                fail("env", position, "\(quoted(entry)) is not of the form NAME=value")
                continue
            }
            if equals == entry.startIndex { fail("env", position, "\(quoted(entry)) has an empty name") }
        }
        if let capabilities = process.capabilities { within("capabilities") { $0.capabilities(capabilities) } }
        rlimits(process.rlimits)
        if let scheduler = process.scheduler { within("scheduler") { $0.scheduler(scheduler) } }
        if let ioPriority = process.ioPriority {
            within("ioPriority") { check in
                if !Checker.ioPriorityClasses.contains(ioPriority.class) {
                    check.fail("class", "unknown I/O priority class \(quoted(ioPriority.class))")
                }
                if !(0...7).contains(ioPriority.priority) {
                    check.fail("priority", "must be between 0 and 7, found \(ioPriority.priority)")
                }
            }
        }
        if let oomScoreAdj = process.oomScoreAdj, !(-1000...1000).contains(oomScoreAdj) {
            fail("oomScoreAdj", "must be between -1000 and 1000, found \(oomScoreAdj)")
        }
    }

    /// The spec says a runtime MUST error on capabilities it does not know.
    mutating func capabilities(_ capabilities: LinuxCapabilities) {
        for (setName, names) in capabilities.namedSets {
            for (position, name) in names.enumerated() where Capabilities.number(of: name) == nil {
                fail(setName, position, "unknown capability \(quoted(name))")
            }
        }
    }

    mutating func rlimits(_ rlimits: [Rlimit]) {
        var seen: Set<String> = []
        for (position, rlimit) in rlimits.enumerated() {
            within("rlimits", position) { check in
                if Rlimits.resource(of: rlimit.type) == nil {
                    check.fail("type", "unknown resource limit \(quoted(rlimit.type))")
                } else if !seen.insert(rlimit.type).inserted {
                    check.fail("type", "duplicate resource limit \(quoted(rlimit.type))")
                }
                if rlimit.soft > rlimit.hard {
                    check.fail("soft", "soft limit \(rlimit.soft) is above the hard limit \(rlimit.hard)")
                }
            }
        }
    }

    mutating func scheduler(_ scheduler: Scheduler) {
        if !Checker.schedulerPolicies.contains(scheduler.policy) {
            fail("policy", "unknown scheduling policy \(quoted(scheduler.policy))")
        }
        for (position, flag) in scheduler.flags.enumerated() where !Checker.schedulerFlags.contains(flag) {
            fail("flags", position, "unknown scheduler flag \(quoted(flag))")
        }
        if let nice = scheduler.nice, !(-20...19).contains(nice) {
            fail("nice", "must be between -20 and 19, found \(nice)")
        }
    }
}
