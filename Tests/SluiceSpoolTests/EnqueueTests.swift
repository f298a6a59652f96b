import Foundation
import Glibc
import Testing
@testable import SluiceSpool

@Suite struct EnqueueTests {
    @Test func enqueue_acceptsTaskIntoBatchThenExpansionMakesItReady() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        let outcomes = try queue.enqueue([try request("order-1")])
        #expect(outcomes == [.accepted(try TaskID(validating: "order-1"))])
        #expect(spool.files(.journal).count == 2, "the batch and its origin")
        #expect(spool.files(.ids) == ["order-1"])
        try queue.expandPendingBatches()
        #expect(spool.files(.journal).isEmpty)
        #expect(spool.files(.tmp).isEmpty)
        #expect(spool.files(.ready) == [SpoolNames.ready(dueAt: ManualWallClock.start, key: "order-1")])
        let lease = try #require(try queue.claim())
        #expect(lease.task.attempt == 1)
        #expect(lease.task.payload["to"] == .string("a@example.com"))
    }

    @Test func enqueue_sameIDTwice_returnsTheExistingTaskAndWritesNothing() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("order-1", to: "first@example.com")])
        let ready = spool.files(.ready)
        let again = try queue.enqueue([try request("order-1", to: "second@example.com")])
        guard case .existing(let id, let status?) = again.first else { Issue.record("not existing: \(again)"); return }
        #expect(id.rawValue == "order-1")
        #expect(status.state == .ready(dueAt: ManualWallClock.start))
        #expect(status.record?.payload["to"] == .string("first@example.com"), "the first task is kept")
        #expect(spool.files(.journal).isEmpty, "no batch was written")
        #expect(spool.files(.ready) == ready)
    }

    @Test func enqueue_sameIDWhileStillInABatch_returnsTheJournaledTask() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        _ = try queue.enqueue([try request("order-1")])
        let again = try queue.enqueue([try request("order-1")])
        guard case .existing(_, let status?) = again.first else { Issue.record("not existing: \(again)"); return }
        #expect(status.state == .journaled)
        try queue.expandPendingBatches()
        #expect(spool.files(.ready).count == 1)
    }

    @Test func enqueue_sameIDTwiceInOneBatch_keepsTheFirst() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        let outcomes = try queue.enqueue([try request("a", to: "1"), try request("a", to: "2"), try request("b")])
        #expect(outcomes.map(\.id.rawValue) == ["a", "a", "b"])
        guard case .existing = outcomes[1] else { Issue.record("second copy accepted"); return }
        try queue.expandPendingBatches()
        let leases = try queue.claimAll()
        #expect(leases.map(\.task.id.rawValue).sorted() == ["a", "b"])
        #expect(leases.first { $0.task.id.rawValue == "a" }?.task.payload["to"] == .string("1"))
    }

    @Test func enqueue_sameIDInTwoPendingBatches_isExpandedOnce() throws {
        // Two batches hold the id before either is expanded (the first
        // enqueuer died between its commit and linking its marker): the
        // batch that linked the marker owns the id; the other copy is dropped.
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        _ = try queue.enqueue([try request(nil)])
        let first = try queue.enqueue([try request("same", to: "1")])
        try FileManager.default.removeItem(atPath: spool.path(.ids, "same"))  // as if the first enqueuer crashed before linking
        let second = try queue.enqueue([try request("same", to: "2")])
        #expect(first.first?.id == second.first?.id)
        try queue.expandPendingBatches()
        let leases = try queue.claimAll()
        #expect(leases.filter { $0.task.id.rawValue == "same" }.count == 1)
        #expect(leases.first { $0.task.id.rawValue == "same" }?.task.payload["to"] == .string("2"), "the marker's owner wins")
    }

    @Test func enqueue_afterCompletion_theIDIsFreeAgain() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("once")])
        try queue.complete(try #require(try queue.claim()))
        #expect(spool.files(.ids).isEmpty)
        #expect(try queue.enqueue([try request("once")]).first == .accepted(try TaskID(validating: "once")))
    }

    @Test func enqueue_withDoneRetention_aFinishedIDReturnsTheDoneTask() throws {
        let spool = try SpoolFixture()
        var options = SpoolOptions()
        options.doneRetention = 3600 * ManualWallClock.second
        let queue = try spool.queue(options: options)
        try queue.enqueueNow([try request("once")])
        try queue.complete(try #require(try queue.claim()))
        guard case .existing(_, let status?) = try queue.enqueue([try request("once")]).first else {
            Issue.record("accepted again"); return
        }
        #expect(status.state == .done)
        #expect(status.record?.history.last?.hasSuffix("attempt 1 done") == true)
    }

    @Test func enqueue_longID_isStoredUnderAShortKeyAndKeepsItsID() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        let long = String(repeating: "k", count: 255)
        try queue.enqueueNow([try request(long)])
        let name = try #require(spool.files(.ready).first)
        #expect(name.utf8.count < 255)
        #expect(name.contains("~"))
        #expect(try queue.claim()?.task.id.rawValue == long)
        #expect(try queue.enqueue([try request(long)]).first.map { if case .existing = $0 { true } else { false } } == true)
    }

    @Test func enqueue_taskForAnotherQueue_isRefusedAndNothingIsWritten() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        #expect(throws: SpoolError.self) { try queue.enqueue([try request("x", queue: "payments")]) }
        #expect(spool.files(.journal).isEmpty && spool.files(.tmp).isEmpty && spool.files(.ids).isEmpty)
    }

    @Test func enqueue_createsOwnerOnlyDirectoriesAndFiles() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("p")])
        func mode(_ path: String) -> mode_t {
            var info = stat()
            stat(path, &info)
            return info.st_mode & 0o777
        }
        #expect(mode("\(spool.root)/emails") == 0o700)
        for folder in SpoolFolder.allCases { #expect(mode("\(spool.root)/emails/\(folder.rawValue)") == 0o700) }
        #expect(mode(spool.path(.ready, spool.files(.ready)[0])) == 0o600)
    }

    @Test func enqueue_notBefore_makesTheTaskWaitUntilThen() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        var later = try request("later")
        later.notBefore = ManualWallClock.start + 60 * ManualWallClock.second
        try queue.enqueueNow([later])
        #expect(try queue.claim() == nil)
        #expect(try queue.counts().readyWaiting == 1)
        spool.clock.advance(seconds: 60)
        #expect(try queue.claim()?.task.id.rawValue == "later")
    }
}
