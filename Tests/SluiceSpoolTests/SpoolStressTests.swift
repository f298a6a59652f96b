import Foundation
import Glibc
import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceSpool

/// Every spool operation at once, from many processes, on a real disk, for
/// a bounded time (`SLUICE_SPOOL_STRESS_SECONDS`, default 10): enqueuers
/// racing on one id space (and SIGKILLed now and then), claimers that
/// complete or dead-letter, two replayers racing for the same dead tasks,
/// two recoveries in a loop. Then every acknowledged id is accounted for
/// exactly once, and every run of a task is explained.
@Suite(.serialized) struct SpoolStressTests {
    @Test func everyOperationAtOnce_accountsForEveryAcknowledgedIDExactlyOnce() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["SLUICE_SPOOL_STRESS_SECONDS"] ?? "") ?? 10
        let spool = try SpoolFixture("stress")
        var options = SpoolOptions()
        options.doneRetention = 3_600_000_000_000
        _ = try spool.queue(options: options)
        let stop = spool.scratch.file("stop")
        var serial = 0
        func start(_ role: String) throws -> SpoolChild {
            serial += 1
            return try SpoolChild("spool-stress", [role, spool.root, "emails", stop, "3000"], outputPath: spool.scratch.file("\(role)\(serial).out"))
        }
        var enqueuers = try (0..<3).map { _ in try start("enqueue") }
        var others = try ["claim", "claim", "claim", "replay", "replay", "recover", "recover"].map { try start($0) }
        var killed: [SpoolChild] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            usleep(700_000)
            // An enqueuer dies mid-operation; what it was told is durable must stay.
            let victim = enqueuers.remove(at: Int.random(in: 0..<enqueuers.count))
            #expect(victim.stop() == .signaled(SIGKILL), "\(victim.errors)")
            killed.append(victim)
            enqueuers.append(try start("enqueue"))
        }
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        for child in enqueuers + others {
            #expect(child.waitForExit(seconds: 30) == .exited(0), "\(child.errors)")
        }
        others += enqueuers + killed

        // Drain what is left, as a fleet would: recover, replay the dead, run the rest.
        // The children's clock: the tasks are due by real time.
        let queue = try SpoolQueue(root: spool.root, name: QueueName(validating: "emails"), options: options)
        _ = try queue.recover()
        var runs: [String: Int] = [:]
        var replays: [String: Int] = [:]
        var deaths: [String: Int] = [:]
        for id in try queue.replayDead(nil) { replays[id.rawValue, default: 0] += 1 }
        while let lease = try queue.claim() {
            runs[lease.task.id.rawValue, default: 0] += 1
            try queue.complete(lease)
        }
        var accepted: [String: Int] = [:]
        for child in others {
            for line in child.lines {
                let words = line.split(separator: " ").map(String.init)
                guard words.count == 2 else { continue }
                switch words[0] {
                case "accepted": accepted[words[1], default: 0] += 1
                case "ran": runs[words[1], default: 0] += 1
                case "replayed": replays[words[1], default: 0] += 1
                case "dead": deaths[words[1], default: 0] += 1
                default: break
                }
            }
        }
        let inventory = SpoolInventory(spool)
        let done = Set(inventory.tasks[.done, default: []].map(\.id.rawValue))
        #expect(accepted.count > 500, "the enqueuers made progress: \(accepted.count) ids")
        #expect(replays.values.reduce(0, +) > 20, "the replayers raced: \(replays.count)")
        #expect(accepted.filter { $0.value > 1 }.isEmpty, "no id accepted twice: \(accepted.filter { $0.value > 1 }.keys.sorted().prefix(5))")
        let lost = Set(accepted.keys).subtracting(done)
        #expect(lost.isEmpty, "every acknowledged id finished: lost \(lost.sorted().prefix(5))")
        // An id committed by a killed enqueuer before its answer may run too: not lost, not acknowledged.
        for id in done {
            #expect(replays[id, default: 0] <= deaths[id, default: 0], "\(id) replayed \(replays[id, default: 0]) times for \(deaths[id, default: 0]) deaths")
            #expect(runs[id, default: 0] == 1 + replays[id, default: 0],
                    "\(id) ran \(runs[id, default: 0]) times for \(replays[id, default: 0]) replays")
        }
        #expect(Set(runs.keys) == done, "every run finished as done: \(Set(runs.keys).symmetricDifference(done).sorted().prefix(5))")
        let markers = Set(inventory.names[.ids] ?? [])
        #expect(markers == done, "one marker per task: \(markers.symmetricDifference(done).sorted().prefix(5))")
        for folder in [SpoolFolder.tmp, .journal, .ready, .leased, .dead, .quarantine] {
            #expect(inventory.count(folder) == 0, "\(folder) is empty: \(inventory.names[folder]?.prefix(5) ?? [])")
        }
    }
}
