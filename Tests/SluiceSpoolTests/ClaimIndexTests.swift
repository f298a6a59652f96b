import Foundation
import Glibc
import Testing
@testable import SluiceSpool

@Suite struct ClaimIndexTests {
    @Test func claimer_seesBatchesAndTasksFromOtherProcessesThroughInotifyWithoutRescanning() throws {
        let spool = try SpoolFixture()
        var options = SpoolOptions()
        options.rescanInterval = .max  // only inotify can tell the claimer
        let claimer = try spool.queue(options: options)
        #expect(try claimer.claim() == nil)  // index built, watch started
        let producer = try spool.queue(pid: getppid())
        _ = try producer.enqueue([try request("via-batch")])  // committed, not expanded
        #expect(try claimer.claim()?.task.id.rawValue == "via-batch", "saw the batch, expanded it, claimed the task")
        try producer.enqueueNow([try request("via-ready")])  // expanded by the producer
        #expect(try claimer.claim()?.task.id.rawValue == "via-ready")
    }

    @Test func claim_quarantinesAReadyFileWithAStrangeName() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("fine")])
        _ = FileManager.default.createFile(atPath: spool.path(.ready, "not-a-task"), contents: Data())
        #expect(try queue.claimAll().map(\.task.id.rawValue) == ["fine"])
        #expect(spool.files(.quarantine) == ["ready-not-a-task", "ready-not-a-task.reason"])
    }
}
