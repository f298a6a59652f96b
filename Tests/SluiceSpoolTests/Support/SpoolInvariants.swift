import SluiceSpool
import Testing

extension SpoolFixture {
    /// What must hold once every operation has ended and a final recovery
    /// ran: each id in `expected` is a task exactly once (in any state),
    /// no other task exists, every marker names a task and every task has
    /// its marker, and no scratch file or batch is left.
    func expectConsistent(queue: String, expected: Set<String>, _ context: String,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        try expectConsistent(queue: queue, required: expected, allowed: expected, context, sourceLocation: sourceLocation)
    }

    /// As above, where the ids in `allowed` beyond `required` may or may not
    /// be tasks (sent, but never acknowledged: a crash before the answer).
    func expectConsistent(queue: String, required: Set<String>, allowed: Set<String>, _ context: String,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = try self.queue(queue).recover()
        let inventory = SpoolInventory(self, queue: queue)
        let ids = inventory.allIDs
        #expect(ids.count == Set(ids).count, "\(context): no task twice: \(ids.sorted())", sourceLocation: sourceLocation)
        #expect(required.isSubset(of: Set(ids)) && Set(ids).isSubset(of: allowed),
                "\(context): tasks \(ids.sorted()), expected \(required.sorted()) (at most \(allowed.sorted()))", sourceLocation: sourceLocation)
        #expect(inventory.unreadable.isEmpty, "\(context): unreadable \(inventory.unreadable)", sourceLocation: sourceLocation)
        let keys = Set(inventory.tasks.values.flatMap { $0.map(\.id.fileKey) })
        #expect(Set(inventory.names[.ids] ?? []) == keys,
                "\(context): markers \(inventory.names[.ids] ?? []) for tasks \(keys.sorted())", sourceLocation: sourceLocation)
        for folder in [SpoolFolder.tmp, .journal, .quarantine] {
            #expect(inventory.count(folder) == 0, "\(context): \(folder) holds \(inventory.names[folder] ?? [])", sourceLocation: sourceLocation)
        }
    }
}
