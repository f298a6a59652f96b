import Foundation
import Glibc
import SluiceCore
import SluicePOSIX
import SluiceTestSupport
import Synchronization
import Testing
@testable import SluiceSpool

/// Transient trouble is not corruption, operators are told only what is
/// durable, and clocks that step change nothing they should not: each case
/// driven through the `SpoolFaults` seam at the exact call.
@Suite struct SpoolTransientErrorTests {
    /// A failure that can be switched on and off while the spool runs.
    final class Switch: Sendable {
        let failing = Mutex<(call: String, folder: String, errno: Int32)?>(nil)
        var faults: SpoolFaults {
            SpoolFaults { [self] call, path in
                failing.withLock { failure in
                    guard let failure, call == failure.call, path.contains("/\(failure.folder)") else { return nil }
                    return failure.errno
                }
            }
        }
        func fail(_ call: String, in folder: String, with code: Int32) { failing.withLock { $0 = (call, folder, code) } }
        func stop() { failing.withLock { $0 = nil } }
    }

    // D7: EIO or EMFILE while reading a task just claimed.
    @Test(arguments: [EIO, EMFILE])
    func claim_whenTheClaimedFileCannotBeRead_returnsTheTaskAndQuarantinesNothing(_ code: Int32) throws {
        let spool = try SpoolFixture()
        let disk = Switch()
        var options = SpoolOptions()
        options.faults = disk.faults
        let instants = ManualClock()
        let queue = try spool.queue(options: options, instants: instants)
        try queue.enqueueNow([try request("io")])
        disk.fail("read", in: "leased/", with: code)
        do {
            _ = try queue.claim()
            Issue.record("the claim succeeded although the read failed")
        } catch {
            #expect(error.description.contains("went back to ready/"), "\(error)")
        }
        #expect(spool.files(.quarantine).isEmpty, "an I/O error is not the task's fault")
        #expect(spool.files(.leased).isEmpty && spool.files(.ready).count == 1, "the task is back, untouched")
        #expect(try queue.status(of: TaskID(validating: "io"))?.state.description == "ready")
        disk.stop()
        #expect(try queue.claim() == nil, "held back a while: the queue goes on with other tasks")
        instants.advance(by: SpoolQueue.unreadableHold)
        let lease = try #require(try queue.claim(), "claimed once the disk recovers")
        #expect(lease.task.id.rawValue == "io" && lease.task.attempt == 1)
    }

    // D5: an expansion that fails must not stop the claiming of what is ready.
    @Test(arguments: [("syncfs", "tmp", EIO), ("link", "journal", ENOSPC), ("fsync", "journal", EIO)])
    func claim_whenExpansionFails_stillClaimsReadyTasksAndExpandsOnceTheDiskRecovers(_ failure: (String, String, Int32)) throws {
        let spool = try SpoolFixture()
        try spool.queue().enqueueNow([try request("ready-one")])
        _ = try spool.queue().enqueue([try request("batched")])  // committed, not expanded
        let disk = Switch()
        disk.fail(failure.0, in: failure.1, with: failure.2)
        var options = SpoolOptions()
        options.faults = disk.faults
        let lines = Mutex<[String]>([])
        options.log = EventLog(component: "spool") { line in lines.withLock { $0.append(line) } }
        let instants = ManualClock()
        let queue = try spool.queue(options: options, instants: instants)
        #expect(try queue.claim()?.task.id.rawValue == "ready-one", "the ready task is claimed despite the failing expansion")
        #expect(try queue.claim() == nil, "nothing else is claimable yet, and claiming does not throw")
        #expect(lines.withLock { $0 }.contains { $0.contains("event=spool.expand_failed") }, "the failure is logged")
        disk.stop()
        #expect(try queue.claim() == nil, "not retried at once")
        instants.advance(by: SpoolQueue.expansionRetryInterval)
        #expect(try queue.claim()?.task.id.rawValue == "batched", "expanded and claimed once retried")
    }

    // D8: what an operator is told is done survives a power loss.
    @Test func operatorChanges_syncTheirFoldersBeforeTheyReturn() throws {
        let spool = try SpoolFixture()
        let setup = try spool.queue()
        try setup.enqueueNow([try request("later"), try request("dead"), try request("waiting")])
        for lease in try setup.claimAll() {
            switch lease.task.id.rawValue {
            case "dead": try setup.deadLetter(lease, reason: "HTTP 400")
            default: try setup.retry(lease, at: spool.clock.now() + 3600 * ManualWallClock.second, error: "HTTP 503")
            }
        }
        func lastIndex(_ trace: [String], _ prefix: String, _ folder: String) -> Int {
            trace.lastIndex { $0.hasPrefix(prefix) && $0.contains("/emails/\(folder)") } ?? -1
        }
        let operations: [(String, @Sendable (SpoolQueue) throws -> Void, [SpoolFolder])] = [
            ("task reset", { _ = try $0.reset(TaskID(validating: "later")) }, [.ready]),
            ("queue reset", { _ = try $0.resetWaitingRetries() }, [.ready]),
            ("dead replay", { _ = try $0.replayDead(nil) }, [.ready, .dead]),
        ]
        for (label, operation, folders) in operations {
            let gate = StepGate()
            var options = SpoolOptions()
            options.faults = gate.faults
            try operation(try spool.queue(options: options))
            let trace = gate.trace
            let lastMove = trace.lastIndex { $0.hasPrefix("rename ") || $0.hasPrefix("exchange ") } ?? -1
            #expect(lastMove >= 0, "\(label) moved something")
            for folder in folders {
                #expect(lastIndex(trace, "fsync ", folder.rawValue) > lastMove, "\(label): \(folder) synced after the last move: \(trace)")
            }
        }
    }

    // D9: a queue reset makes due every task Sluice pushed back, first attempts included.
    @Test func queueReset_makesPostponedAndRescheduledFirstAttemptsDueButKeepsNotBefore() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        let hour = 3600 * ManualWallClock.second
        var scheduled = try request("scheduled")
        scheduled.notBefore = spool.clock.now() + hour
        try queue.enqueueNow([try request("postponed"), try request("rescheduled"), try request("retried"), scheduled])
        for lease in try queue.claimAll() {
            switch lease.task.id.rawValue {
            case "postponed": try queue.settle(lease, .postpone(dueAt: spool.clock.now() + hour, error: "HTTP 429"))
            case "rescheduled": try queue.settle(lease, .reschedule(dueAt: spool.clock.now() + hour))
            default: try queue.retry(lease, at: spool.clock.now() + hour, error: "HTTP 503")
            }
        }
        let reset = try queue.resetWaitingRetries().map(\.rawValue).sorted()
        #expect(reset == ["postponed", "rescheduled", "retried"])
        #expect(try queue.claimAll().map(\.task.id.rawValue).sorted() == ["postponed", "rescheduled", "retried"])
        #expect(try queue.status(of: TaskID(validating: "scheduled"))?.record?.dueAt == scheduled.notBefore)
    }

    // A wall clock stepped back must not suspend the safety-net rescan.
    @Test func rescan_followsTheMonotonicClockWhenTheWallClockStepsBack() throws {
        let spool = try SpoolFixture()
        let gate = StepGate()
        var options = SpoolOptions()
        options.faults = gate.faults
        options.rescanInterval = 60 * ManualWallClock.second
        let instants = ManualClock()
        let queue = try spool.queue(options: options, instants: instants)
        func scans() -> Int { gate.trace.filter { $0.hasPrefix("list ") && $0.hasSuffix("/emails/ready") }.count }
        _ = try queue.claim()
        #expect(scans() == 1, "the first claim scans")
        _ = try queue.claim()
        #expect(scans() == 1, "inotify keeps it current between rescans")
        spool.clock.stepBack(seconds: 3600)
        instants.advance(by: 61 * ManualWallClock.second)
        _ = try queue.claim()
        #expect(scans() == 2, "rescanned after the interval, though the wall clock went back an hour")
    }

    // A wall clock stepped forward must not purge finished tasks early (and so admit their ids again).
    @Test func retention_afterTheWallClockStepsForward_keepsFinishedTasksTheirFullPeriod() throws {
        let spool = try SpoolFixture()
        var options = SpoolOptions()
        options.doneRetention = 3600 * ManualWallClock.second
        let queue = try spool.queue(options: options)
        try queue.enqueueNow([try request("kept")])
        try queue.complete(try #require(try queue.claim()))
        // The purge dates tasks by their files' modification time: real time.
        let clock = ManualWallClock(SystemWallClock().now())
        let instants = ManualClock()
        let purger = try SpoolQueue(root: spool.root, name: queue.name, clock: clock, options: options, instants: instants)
        clock.advance(seconds: 7200)
        #expect(try purger.recover().donePurged == 0, "a step forward of 2 h is not 2 h of retention")
        #expect(try purger.enqueue([try request("kept")]).first.map { if case .existing = $0 { true } else { false } } == true)
        instants.advance(by: 3601 * ManualWallClock.second)
        #expect(try purger.recover().donePurged == 1, "purged once the period really passed")
    }
}
