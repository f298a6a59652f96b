import Foundation
import Glibc
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceSpool
import SluiceCore

/// The issue's five crash tests: real processes, real signals, real files.
@Suite(.serialized) struct SpoolCrashTests {
    @Test func enqueuerKilledAtRandom50Times_everyReportedIDIsPresentOnceAndNothingIsHalfThere() throws {
        let spool = try SpoolFixture("crash-enqueue")
        _ = try spool.queue()  // create the queue directory
        var reported: [String] = []
        var interrupted = 0  // runs killed with work under way (files in tmp/ or journal/)
        for run in 0..<50 {
            let child = try SpoolChild("spool-enqueuer", [spool.root, "emails", "r\(run)"], outputPath: spool.scratch.file("run\(run).out"))
            #expect(child.waitForLine { $0.hasPrefix("accepted ") }, "run \(run): \(child.errors)")
            usleep(UInt32.random(in: 0...40_000))  // kill at a random moment: mid-commit, mid-expansion, between
            #expect(child.stop() == .signaled(SIGKILL), "run \(run) was still running when killed")
            reported += child.lines.compactMap { $0.hasPrefix("accepted ") ? String($0.dropFirst(9)) : nil }
            if !spool.files(.tmp).isEmpty || !spool.files(.journal).isEmpty { interrupted += 1 }
        }
        // What any process does on start: recover (expands committed batches,
        // removes the dead writers' scratch files).
        #expect(interrupted > 0, "some kills landed mid-commit or mid-expansion")
        _ = try spool.queue().recover()
        let inventory = SpoolInventory(spool)
        let ids = inventory.allIDs
        #expect(Set(ids).count == ids.count, "no task is present twice")
        let missing = Set(reported).subtracting(ids)
        #expect(missing.isEmpty, "every reported id is present; missing: \(missing.sorted().prefix(5))")
        #expect(reported.count > 50, "the enqueuer made progress: \(reported.count) ids")
        #expect(inventory.unreadable.isEmpty, "no half-written task: \(inventory.unreadable)")
        for folder in [SpoolFolder.tmp, .journal, .leased, .quarantine] {
            #expect(inventory.count(folder) == 0, "\(folder) is empty: \(inventory.names[folder] ?? [])")
        }
        let keys = Set(inventory.tasks[.ready, default: []].map(\.id.fileKey))
        #expect(Set(inventory.names[.ids] ?? []) == keys, "one marker per task and no marker without a task")
    }

    /// The issue's crash test (8 processes) and its claim bound (16 racing).
    @Test(arguments: [8, 16])
    func processesClaimingFiveThousandTasks_claimEachExactlyOnce(_ processes: Int) throws {
        let spool = try SpoolFixture("crash-claim")
        let queue = try spool.queue()
        for batch in 0..<5 {
            _ = try queue.enqueue((0..<1000).map { try request("t\(batch)-\($0)") })
        }
        try queue.expandPendingBatches()
        let go = spool.scratch.file("go")
        let claimers = try (0..<processes).map { try SpoolChild("spool-claimer", [spool.root, "emails", go], outputPath: spool.scratch.file("claimer\($0).out")) }
        for claimer in claimers { #expect(claimer.waitForLine { $0 == "ready" }, "\(claimer.errors)") }
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        for claimer in claimers { #expect(claimer.waitForExit(seconds: 90) == .exited(0), "\(claimer.errors)") }
        let claimed = claimers.flatMap { $0.lines.compactMap { $0.hasPrefix("claimed ") ? String($0.dropFirst(8)) : nil } }
        #expect(claimed.count == 5000, "claimed \(claimed.count) times")
        #expect(Set(claimed).count == 5000, "each task exactly once")
        #expect(claimers.filter { $0.lines.contains { $0.hasPrefix("claimed ") } }.count > 1, "the processes really raced")
        let inventory = SpoolInventory(spool)
        for folder in SpoolFolder.holdingTasks { #expect(inventory.count(folder) == 0, "\(folder) is empty") }
    }

    @Test func workerKilledHoldingLeases_recoveryReturnsThemWithTheAttemptUnchanged() throws {
        let spool = try SpoolFixture("crash-lease")
        let queue = try SpoolQueue(root: spool.root, name: QueueName(validating: "emails"))
        _ = try queue.enqueue((0..<8).map { try request("L\($0)") })
        try queue.expandPendingBatches()
        // Spend attempts on some tasks first, so "unchanged" is not just "1".
        let leases = try queue.claimAll()
        for lease in leases.prefix(4) { try queue.retry(lease, at: 0, error: "HTTP 503") }
        for lease in leases.dropFirst(4) { try queue.release(lease) }
        let before = Dictionary(uniqueKeysWithValues: SpoolInventory(spool).tasks[.ready, default: []].map { ($0.id.rawValue, $0.attempt) })
        #expect(before.values.contains(2))

        let victim = try SpoolChild("spool-holder", [spool.root, "emails", "5"], outputPath: spool.scratch.file("victim.out"))
        #expect(victim.waitForLine { $0 == "holding" }, "\(victim.errors)")
        let survivor = try SpoolChild("spool-holder", [spool.root, "emails", "3"], outputPath: spool.scratch.file("survivor.out"))
        #expect(survivor.waitForLine { $0 == "holding" }, "\(survivor.errors)")
        let held = victim.lines.compactMap { line -> (String, Int)? in
            let words = line.split(separator: " ")
            return words.count == 3 && words[0] == "leased" ? (String(words[1]), Int(words[2]) ?? 0) : nil
        }
        #expect(held.count == 5)
        for (id, attempt) in held { #expect(before[id] == attempt, "the holder saw the stored attempt") }
        #expect(victim.stop() == .signaled(SIGKILL))

        #expect(try queue.counts().leasedByGoneProcesses == 5)
        let report = try queue.recover()
        #expect(report.leasesReturned.count == 5)
        let after = SpoolInventory(spool)
        let ready = Dictionary(uniqueKeysWithValues: after.tasks[.ready, default: []].map { ($0.id.rawValue, $0.attempt) })
        for (id, attempt) in held { #expect(ready[id] == attempt, "\(id) is back in ready with attempt \(attempt)") }
        #expect(after.count(.leased) == 3, "the live holder keeps its leases")
        #expect(after.names[.leased]?.allSatisfy { $0.hasPrefix("\(survivor.process.pid)-") } == true)
        survivor.stop()
    }

    @Test func corruptTaskFiles_areQuarantinedAndTheRestOfTheQueueProceeds() throws {
        let spool = try SpoolFixture("crash-corrupt")
        let queue = try spool.queue()
        _ = try queue.enqueue((0..<100).map { try request("c\($0)") })
        try queue.expandPendingBatches()
        let names = spool.files(.ready)
        try Data().write(to: URL(fileURLWithPath: spool.path(.ready, names[3])))                          // empty
        try Data("\u{0}\u{1}garbage".utf8).write(to: URL(fileURLWithPath: spool.path(.ready, names[40])))  // binary junk
        let other = #"{"id":"someone-else","queue":"emails","kind":"x","payload":{},"attempt":1,"enqueuedAt":"2025-01-01T00:00:00Z","dueAt":"2025-01-01T00:00:00Z"}"#
        try Data(other.utf8).write(to: URL(fileURLWithPath: spool.path(.ready, names[77])))              // wrong task
        _ = FileManager.default.createFile(atPath: spool.path(.ready, "stray-file"), contents: Data("x".utf8))  // not a task name

        let worker = try SpoolChild("spool-claimer", [spool.root, "emails"], outputPath: spool.scratch.file("worker.out"))
        #expect(worker.waitForExit(seconds: 60) == .exited(0), "\(worker.errors)")
        #expect(worker.lines.filter { $0.hasPrefix("claimed ") }.count == 97)
        let quarantined = spool.files(.quarantine)
        #expect(quarantined.filter { !$0.hasSuffix(".reason") }.count == 4)
        #expect(quarantined.filter { $0.hasSuffix(".reason") }.count == 4)
        let reasons = quarantined.filter { $0.hasSuffix(".reason") }.compactMap { readTextFile(spool.path(.quarantine, $0)) }.joined()
        #expect(reasons.contains("not valid JSON") && reasons.contains("does not match") && reasons.contains("not <due-ns"))
        #expect(spool.files(.ready).isEmpty && spool.files(.leased).isEmpty)
    }

    @Test(arguments: DiskFault.all)
    func diskFullOrFailingOnWrite_enqueueFailsClearlyAndLeavesNoPartialTask(_ fault: DiskFault) throws {
        let spool = try SpoolFixture("crash-disk")
        let disk = try fault.prepare(spool)
        defer { disk.unmount() }
        let queue = try SpoolQueue(root: disk.root, name: QueueName(validating: "emails"), clock: spool.clock)
        try queue.enqueueNow((0..<20).map { try request("early-\($0)") })
        _ = try queue.enqueue([try request("early-journaled")])  // acknowledged, not yet expanded
        let before = disk.snapshot()

        let failing = try SpoolQueue(root: disk.root, name: QueueName(validating: "emails"), clock: spool.clock,
                                     options: fault.options(mounted: disk.mounted))
        var error: SpoolError?
        var failedBatch: [TaskRequest] = []
        var acknowledged: [String] = []
        for attempt in 0..<1000 where error == nil {
            let batch = try fault.batch(attempt)
            do {
                acknowledged += try failing.enqueue(batch).map(\.id.rawValue)
            } catch let thrown {
                error = thrown
                failedBatch = batch
            }
        }
        let thrown = try #require(error, "the disk never failed")
        #expect(thrown.description.contains("nothing was accepted"))
        #expect(thrown.description.contains(fault.message), "\(thrown)")
        #expect(thrown.description.contains(fault.fix), "\(thrown)")
        #expect(thrown.systemError?.errno == fault.errno)
        disk.grow()

        let after = disk.snapshot()
        #expect(after[.tmp] == [], "no half-written file")
        for id in failedBatch.compactMap(\.id) { #expect(try queue.status(of: id) == nil, "\(id) of the failed batch is nowhere") }
        #expect(after[.ready] == before[.ready], "earlier tasks untouched")
        #expect(Set(after[.journal] ?? []).isSuperset(of: before[.journal] ?? []), "the acknowledged batch is still there")
        let claimed = try queue.claimAll().map(\.task.id.rawValue)
        for index in 0..<20 { #expect(claimed.contains("early-\(index)")) }
        #expect(claimed.contains("early-journaled"), "nothing acknowledged earlier is lost")
        #expect(Set(claimed).isSuperset(of: acknowledged), "every batch acknowledged before the failure is kept")
    }
}
