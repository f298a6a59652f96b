import SluicePOSIX

extension SpoolQueue {
    /// Counts per state, from the folders' names (no task file is read,
    /// except pending batches, which are normally none).
    public func counts() throws(SpoolError) -> QueueCounts {
        let now = clock.now()
        var counts = QueueCounts()
        try spoolIO("count tasks of queue \"\(name)\"") {
            var earliestDue = UInt64.max
            try folders.ready.forEachName { name in
                guard let due = SpoolNames.parseDue(name) else { return }
                if due <= now {
                    counts.readyDue += 1
                    earliestDue = min(earliestDue, due)
                } else {
                    counts.readyWaiting += 1
                }
            }
            counts.oldestDueAge = earliestDue == .max ? 0 : now - earliestDue
            for lease in try folders.leased.names() {
                counts.leased += 1
                if let (owner, _) = SpoolNames.parseLeased(lease), owner != pid, !ProcessLiveness.isAlive(owner) {
                    counts.leasedByGoneProcesses += 1
                }
            }
            counts.dead = try folders.dead.names().count
            counts.done = try folders.done.names().count
            counts.quarantined = try folders.quarantine.names().filter { !$0.hasSuffix(".reason") }.count
            counts.journaled = try journaledRecords().count
        }
        return counts
    }
}
