import SluicePOSIX

/// Poison tasks: a task whose attempt kills its worker (a trap, a signal)
/// is counted on the task; at the limit it goes to `dead/`, so one task
/// cannot stop its queue for good by crashing every worker that claims it.
///
/// The count lives in the task's history (one line per crash, written by a
/// `postpone`: the attempt is not spent), so it is durable, shows in
/// `sluice task show`, and needs no new field. Crashes before the last
/// replay from `dead/` do not count.
///
/// Built only on the spool's existing operations: `settle` (`.postpone`,
/// `.deadLetter`) on a `Lease` of the dead process, read with `readStatus`.
extension SpoolQueue {
    /// What `recordCrash` did to the task.
    public enum CrashVerdict: Equatable, Sendable {
        /// Back in `ready/`, due now; `crashes` so far.
        case postponed(crashes: Int)
        /// Moved to `dead/` at its `crashes`th crash.
        case deadLettered(crashes: Int)
        /// No such lease (another process moved it, or it was never there).
        case notFound
    }

    /// The leases process `pid` holds: each task's due time and file key.
    public func leases(heldBy pid: Int32) throws(SpoolError) -> [(dueAt: UInt64, key: String)] {
        try spoolIO("list the leases of pid \(pid) in queue \"\(name)\"") { () throws(SystemError) -> [(dueAt: UInt64, key: String)] in
            try folders.leased.names().compactMap { leasedName in
                guard let (owner, readyName) = SpoolNames.parseLeased(leasedName), owner == pid else { return nil }
                return SpoolNames.parseReady(readyName)
            }
        }
    }

    /// Records that the task leased by the dead process `pid` (`key`, due
    /// at `dueAt`) crashed it, with `reason` ("crashed its worker (signal 4)").
    /// At its `limit`th crash the task is dead-lettered with `reason`;
    /// before, it goes back to `ready/`, due now, attempt not spent.
    ///
    /// Requires: `pid` is dead, so nothing else settles its lease (a
    /// recovery running at once may move it first: `.notFound`, harmless).
    public func recordCrash(pid: Int32, dueAt: UInt64, key: String, reason: String, limit: Int) throws(SpoolError) -> CrashVerdict {
        let state = TaskState.leased(pid: pid, dueAt: dueAt)
        guard let status = readStatus(key: key, state: state, id: nil), let record = status.record else { return .notFound }
        let crashes = Self.crashes(in: record.history) + 1
        let lease = Lease(task: record, key: key, dueAt: dueAt, pid: pid)
        if crashes >= limit {
            try settle(lease, .deadLetter(reason: reason))
            return .deadLettered(crashes: crashes)
        }
        try settle(lease, .postpone(dueAt: clock.now(), error: reason))
        return .postponed(crashes: crashes)
    }

    /// The text every crash line's error starts with.
    public static let crashReasonPrefix = "crashed its worker"

    /// Crashes recorded in `history` since the last replay from `dead/`.
    ///
    /// A crash line is exactly what `postpone` writes for one:
    /// `<time> attempt <n> postponed to <time>, not spent: crashed its worker …`;
    /// a provider's error text elsewhere in a line cannot pass for one.
    static func crashes(in history: [String]) -> Int {
        var count = 0
        for line in history {
            let words = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false)
            guard words.count >= 2 else { continue }
            if words[1] == "replayed" {
                count = 0
            } else if words.count == 6, words[1] == "attempt", Int(words[2]) != nil, words[3] == "postponed", words[4] == "to",
                      let comma = words[5].firstIndex(of: ","), !words[5][..<comma].contains(" "),
                      words[5][comma...].hasPrefix(", not spent: \(crashReasonPrefix)") {
                count += 1
            }
        }
        return count
    }
}
