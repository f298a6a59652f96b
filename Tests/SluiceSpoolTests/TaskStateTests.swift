import Testing
@testable import SluiceSpool

/// The task lifecycle as data: each row is a state, a transition, and the
/// file move it must produce.
@Suite struct TaskStateTests {
    static let key = "k"
    static let ready = SpoolPath(.ready, SpoolNames.ready(dueAt: 10, key: key))
    static let leased = SpoolPath(.leased, SpoolNames.leased(pid: 7, readyName: SpoolNames.ready(dueAt: 10, key: key)))
    static let later = SpoolPath(.ready, SpoolNames.ready(dueAt: 99, key: key))

    @Test func claim_renamesReadyToLeasedUnderThePid() throws {
        var state = TaskState.ready(dueAt: 10)
        #expect(try state.claim(by: 7, key: Self.key) == .rename(from: Self.ready, to: Self.leased))
        #expect(state == .leased(pid: 7, dueAt: 10))
    }

    @Test(arguments: [
        // settlement, keep done?, expected move, expected state after
        (Settlement.complete, false, FileMove.delete(leased), TaskState.done),
        (.complete, true, .rewriteThenRename(from: leased, to: SpoolPath(.done, key)), .done),
        (.retry(dueAt: 99, error: "503"), false, .rewriteThenRename(from: leased, to: later), .ready(dueAt: 99)),
        (.deadLetter(reason: "400"), false, .rewriteThenRename(from: leased, to: SpoolPath(.dead, key)), .dead),
        (.release, false, .rename(from: leased, to: ready), .ready(dueAt: 10)),  // untouched: no rewrite
    ])
    func settle_fromLeased_producesOneMove(_ settlement: Settlement, _ keepDone: Bool, _ move: FileMove, _ after: TaskState) throws {
        var state = TaskState.leased(pid: 7, dueAt: 10)
        #expect(try state.settle(settlement, key: Self.key, keepDone: keepDone) == move)
        #expect(state == after)
    }

    @Test(arguments: [TaskState.ready(dueAt: 1), .dead, .done, .journaled])
    func settle_whenNotLeased_isRefusedSayingTheState(_ state: TaskState) {
        var current = state
        #expect { try current.settle(.complete, key: Self.key, keepDone: false) } throws: {
            "\($0)".contains("cannot settle a task that is \(state)")
        }
        #expect(current == state, "unchanged")
    }

    @Test func recover_returnsTheLeaseAtItsDueTimeWithoutRewriting() throws {
        var state = TaskState.leased(pid: 7, dueAt: 10)
        #expect(try state.recover(key: Self.key) == .rename(from: Self.leased, to: Self.ready))
    }

    @Test func reset_movesOnlyAWaitingTask() throws {
        var waiting = TaskState.ready(dueAt: 99)
        #expect(try waiting.reset(now: 10, key: Self.key) == .rename(from: Self.later, to: Self.ready))
        var due = TaskState.ready(dueAt: 10)
        #expect(try due.reset(now: 50, key: Self.key) == FileMove.none)
    }

    @Test func replay_claimsTheDeadTaskThenReleasesItRewrittenDueNow() throws {
        var state = TaskState.dead
        let lease = SpoolPath(.leased, "7-\(SpoolNames.ready(dueAt: 10, key: Self.key))")
        #expect(try state.claimDead(by: 7, now: 10, key: Self.key) == .rename(from: SpoolPath(.dead, Self.key), to: lease))
        #expect(try state.releaseReplayed(key: Self.key) == .rewriteThenRename(from: lease, to: Self.ready))
        var ready = TaskState.ready(dueAt: 1)
        #expect(throws: TransitionError.self) { try ready.claimDead(by: 7, now: 10, key: Self.key) }
    }
}
