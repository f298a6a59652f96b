import Foundation
import Glibc
import Testing
@testable import SluiceSpool

@Suite struct OperatorTests {
    let second = ManualWallClock.second

    /// A queue holding: 2 due, 1 waiting retry, 1 waiting notBefore, 1 leased, 1 dead.
    func populated(_ spool: SpoolFixture) throws -> SpoolQueue {
        let queue = try spool.queue()
        var scheduled = try request("scheduled")
        scheduled.notBefore = ManualWallClock.start + 3600 * second
        try queue.enqueueNow(["due-1", "due-2", "retry", "leased", "dead"].map { try request($0) } + [scheduled])
        var leases = try queue.claimAll()
        func take(_ id: String) -> Lease? {
            guard let index = leases.firstIndex(where: { $0.task.id.rawValue == id }) else { return nil }
            return leases.remove(at: index)
        }
        try queue.retry(try #require(take("retry")), at: spool.clock.now() + 600 * second, error: "HTTP 429")
        try queue.deadLetter(try #require(take("dead")), reason: "HTTP 404")
        _ = take("leased")
        for lease in leases { try queue.release(lease) }
        spool.clock.advance(seconds: 5)
        return queue
    }

    @Test func counts_reportEachStateAndTheOldestDueAge() throws {
        let spool = try SpoolFixture()
        let counts = try populated(spool).counts()
        #expect(counts.readyDue == 2)
        #expect(counts.readyWaiting == 2)
        #expect(counts.leased == 1)
        #expect(counts.leasedByGoneProcesses == 0)
        #expect(counts.dead == 1)
        #expect(counts.journaled == 0)
        #expect(counts.oldestDueAge == 5 * second)
    }

    @Test func status_findsATaskInEachStateByID() throws {
        let spool = try SpoolFixture()
        let queue = try populated(spool)
        func state(_ id: String) throws -> TaskState? { try queue.status(of: TaskID(validating: id))?.state }
        #expect(try state("due-1") == .ready(dueAt: ManualWallClock.start))
        #expect(try state("retry") == .ready(dueAt: ManualWallClock.start + 600 * second))
        #expect(try state("leased") == .leased(pid: getpid(), dueAt: ManualWallClock.start))
        #expect(try state("dead") == .dead)
        #expect(try state("never") == nil)
        _ = try queue.enqueue([try request("journaled")])
        #expect(try state("journaled") == .journaled)
    }

    @Test func reset_makesOneWaitingTaskDueNowKeepingItsAttempt() throws {
        let spool = try SpoolFixture()
        let queue = try populated(spool)
        let retry = try TaskID(validating: "retry")
        #expect(try queue.reset(retry) == .madeDue(previousDueAt: ManualWallClock.start + 600 * second))
        #expect(try queue.reset(retry) == .alreadyDue)
        #expect(try queue.reset(TaskID(validating: "dead")) == .notReady(.dead))
        #expect(try queue.reset(TaskID(validating: "never")) == .notFound)
        let claimed = try queue.claimAll().first { $0.task.id == retry }
        #expect(claimed?.task.attempt == 2)
    }

    @Test func queueReset_makesWaitingRetriesDueButNotScheduledTasks() throws {
        let spool = try SpoolFixture()
        let queue = try populated(spool)
        #expect(try queue.resetWaitingRetries().map(\.rawValue) == ["retry"])
        let counts = try queue.counts()
        #expect(counts.readyDue == 3)
        #expect(counts.readyWaiting == 1, "the notBefore task still waits")
    }

    @Test func replay_movesDeadTasksBackWithAttemptsReset() throws {
        let spool = try SpoolFixture()
        let queue = try populated(spool)
        #expect(try queue.replayDead(nil).map(\.rawValue) == ["dead"])
        #expect(spool.files(.dead).isEmpty)
        let replayed = try #require(try queue.claimAll().first { $0.task.id.rawValue == "dead" })
        #expect(replayed.task.attempt == 1)
        #expect(replayed.task.lastError == "HTTP 404")
        #expect(replayed.task.history.last?.contains("replayed from dead") == true)
    }

    @Test func replay_oneID_leavesTheOtherDeadTasks() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow(["a", "b"].map { try request($0) })
        for lease in try queue.claimAll() { try queue.deadLetter(lease, reason: "no") }
        #expect(try queue.replayDead(TaskID(validating: "b")).map(\.rawValue) == ["b"])
        #expect(spool.files(.dead) == ["a"])
    }

    @Test func recovery_returnsLeasesOfGoneProcessesButNotOfLiveOnes() throws {
        let spool = try SpoolFixture()
        let gone: Int32 = 999_999  // above the default pid_max: no such process
        let worker = try spool.queue(pid: gone)
        try worker.enqueueNow(["x", "y"].map { try request($0) })
        _ = try worker.claim()
        let live = try spool.queue(pid: getppid())
        _ = try live.claim()
        #expect(try spool.queue().counts().leasedByGoneProcesses == 1)
        let report = try spool.queue().recover()
        #expect(report.leasesReturned.count == 1)
        #expect(spool.files(.leased).count == 1 && spool.files(.leased)[0].hasPrefix("\(getppid())-"))
    }
}
