import Foundation
import Glibc
import SluiceCore
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceSpool

@Suite struct SettleTests {
    let second = ManualWallClock.second

    @Test func claim_takesTheEarliestDueFirstAndNothingNotYetDue() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        var late = try request("late")
        late.notBefore = ManualWallClock.start + 10 * second
        try queue.enqueueNow([late, try request("first")])
        spool.clock.advance(seconds: 1)
        try queue.enqueueNow([try request("second")])
        spool.clock.advance(seconds: 1)
        #expect(try queue.claimAll().map(\.task.id.rawValue) == ["first", "second"])
        #expect(try queue.nextDueAt() == ManualWallClock.start + 10 * second)
    }

    @Test func complete_removesTheTaskAndItsMarker() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("done-1")])
        let lease = try #require(try queue.claim())
        #expect(spool.files(.leased) == [lease.fileName])
        try queue.complete(lease)
        for folder in SpoolFolder.holdingTasks { #expect(spool.files(folder).isEmpty, "\(folder) is empty") }
        #expect(spool.files(.spare).count == 1, "the file is kept for reuse")
    }

    @Test func retry_spendsTheAttemptRecordsTheErrorAndWaitsUntilDue() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("r")])
        let lease = try #require(try queue.claim())
        try queue.retry(lease, at: spool.clock.now() + 30 * second, error: "HTTP 503 Service Unavailable")
        #expect(try queue.claim() == nil, "not due yet")
        spool.clock.advance(seconds: 30)
        let again = try #require(try queue.claim())
        #expect(again.task.attempt == 2)
        #expect(again.task.lastError == "HTTP 503 Service Unavailable")
        #expect(again.task.history.count == 1)
        #expect(again.task.history[0].contains("attempt 1 failed, retry at 2025-11-21T09:30:30.000Z: HTTP 503"))
        #expect(again.dueAt == ManualWallClock.start + 30 * second)
    }

    @Test func postpone_waitsUntilDueWithoutSpendingTheAttempt() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("p")])
        let lease = try #require(try queue.claim())
        try queue.settle(lease, .postpone(dueAt: spool.clock.now() + 2 * second, error: "HTTP 429"))
        #expect(try queue.claim() == nil, "not due yet")
        spool.clock.advance(seconds: 2)
        let again = try #require(try queue.claim())
        #expect(again.task.attempt == 1, "a 429 that said when is not a failed attempt")
        #expect(again.task.lastError == "HTTP 429")
        #expect(again.task.history.count == 1 && again.task.history[0].contains("postponed"))
    }

    @Test func reschedule_movesOnlyTheDueTime() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("s")])
        let lease = try #require(try queue.claim())
        try queue.settle(lease, .reschedule(dueAt: spool.clock.now() + second))
        #expect(try queue.claim() == nil, "not due yet")
        spool.clock.advance(seconds: 1)
        let again = try #require(try queue.claim())
        #expect(again.task.attempt == 1 && again.task.history.isEmpty && again.task.lastError == nil)
    }

    @Test func deadLetter_movesTheTaskToDeadWithTheReason() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("d")])
        try queue.deadLetter(try #require(try queue.claim()), reason: "HTTP 400: invalid recipient")
        #expect(spool.files(.dead) == ["d"])
        #expect(spool.files(.ids) == ["d"], "the id stays taken")
        let dead = try queue.deadTasks()
        #expect(dead.map(\.record?.lastError) == ["HTTP 400: invalid recipient"])
        #expect(dead.first?.record?.attempt == 1)
    }

    @Test func release_givesTheTaskBackUntouched() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("rel")])
        let name = spool.files(.ready)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: spool.path(.ready, name[0])))
        let lease = try #require(try queue.claim())
        try queue.release(lease)
        #expect(spool.files(.ready) == name, "same due time")
        #expect(try Data(contentsOf: URL(fileURLWithPath: spool.path(.ready, name[0]))) == bytes, "content untouched")
        #expect(try queue.claim()?.task.attempt == 1)
    }

    @Test func settle_aLeaseThatIsGone_failsAndChangesNothing() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("twice")])
        let lease = try #require(try queue.claim())
        try queue.complete(lease)
        do {
            try queue.retry(lease, at: spool.clock.now(), error: "late")
            Issue.record("settled a lease twice")
        } catch {
            #expect(error.description.contains("is gone"))
        }
        for folder in SpoolFolder.holdingTasks { #expect(spool.files(folder).isEmpty, "\(folder) is empty") }
    }

    @Test func doneRetention_keepsFinishedTasksUntilRecoveryPurgesThem() throws {
        let spool = try SpoolFixture()
        var options = SpoolOptions()
        options.doneRetention = 60 * second
        // The purge goes by the file's modification time, which is real time:
        // real clocks here, and a purger 61 s later on both of them.
        let queue = try SpoolQueue(root: spool.root, name: QueueName(validating: "emails"), options: options)
        try queue.enqueueNow([try request("kept")])
        try queue.complete(try #require(try queue.claim()))
        #expect(spool.files(.done) == ["kept"])
        #expect(try queue.status(of: TaskID(validating: "kept"))?.state == .done)
        let purger = try SpoolQueue(root: spool.root, name: queue.name, clock: ManualWallClock(SystemWallClock().now() + 61 * second),
                                    options: options, instants: ManualClock(MonotonicClock.now() + 61 * second))
        #expect(try purger.recover().donePurged == 1)
        #expect(spool.files(.done).isEmpty && spool.files(.ids).isEmpty)
    }

    @Test func spareFiles_areReusedForNewTasksAndTrimmedBeyondTheLimit() throws {
        let spool = try SpoolFixture()
        var options = SpoolOptions()
        options.maximumSpareFiles = 2
        let queue = try spool.queue(options: options)
        try queue.enqueueNow((0..<5).map { try request("s\($0)") })
        for lease in try queue.claimAll() { try queue.complete(lease) }
        #expect(spool.files(.spare).count == 5)
        try queue.enqueueNow((0..<3).map { try request("n\($0)") })
        #expect(spool.files(.spare).count == 2, "three spares were reused")
        let reused = try queue.claimAll()
        #expect(reused.map(\.task.id.rawValue).sorted() == ["n0", "n1", "n2"], "reused files hold the new tasks, whole")
        for lease in reused { try queue.complete(lease) }
        #expect(try queue.recover().sparesTrimmed == 3)
        #expect(spool.files(.spare).count == 2)
    }

    @Test func claim_ofACorruptFile_quarantinesItAndReturnsTheNextTask() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("bad"), try request("good")])
        let bad = try #require(spool.files(.ready).first { $0.hasSuffix("-bad") })
        try Data("{\"id\": \"bad\", trunc".utf8).write(to: URL(fileURLWithPath: spool.path(.ready, bad)))
        let leases = try queue.claimAll()
        #expect(leases.map(\.task.id.rawValue) == ["good"])
        let quarantined = spool.files(.quarantine)
        #expect(quarantined.count == 2)
        let reason = try String(contentsOfFile: spool.path(.quarantine, try #require(quarantined.first { $0.hasSuffix(".reason") })), encoding: .utf8)
        #expect(reason.contains("not valid JSON"))
    }
}
