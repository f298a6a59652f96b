import Foundation
import Glibc
import SluiceCore
import SluiceTestSupport
import Synchronization
import Testing
@testable import SluiceSpool

/// The spool's races, each widened to every interleaving of two operations
/// at file-system-call granularity: operation A is stopped before its i-th
/// call, B runs to its j-th, A finishes, B finishes (and the other way
/// round), for every (i, j). Both run in this process on separate spool
/// values, as two processes would, through the `SpoolFaults` seam.
@Suite(.serialized) struct SpoolRaceTests {
    /// Options for a gated spool value: a batch another holder keeps locked
    /// (a paused operation) is waited for only briefly.
    static func options(_ gate: StepGate) -> SpoolOptions {
        var options = SpoolOptions()
        options.faults = gate.faults
        options.expansionWait = 2_000_000
        return options
    }

    /// How many file-system calls `operation` makes on a fresh copy of a scenario.
    static func steps(of operation: (SpoolOptions) throws -> Void, gate: StepGate = StepGate()) rethrows -> Int {
        try operation(options(gate))
        return gate.steps
    }

    // D1 (listing order) and D4 (recovery in the process that enqueues):
    // recovery in this very process, as the supervisor runs it on a worker's
    // death while its ingest API writes into the same queue.
    @Test func enqueueAndRecovery_atEveryPairOfSteps_loseNoAcknowledgedTaskAndPublishNoneTwice() throws {
        let spool = try SpoolFixture("race-recovery", inMemory: true)
        var run = 0
        func scenario() throws -> (queue: String, enqueue: @Sendable (SpoolOptions) throws -> [EnqueueOutcome], recover: @Sendable (SpoolOptions) throws -> Void) {
            run += 1
            let queue = "q\(run)"
            // A committed batch not yet expanded, so recovery has work of its own.
            _ = try spool.queue(queue).enqueue([try request("p1", queue: queue), try request("p2", queue: queue)])
            let enqueue = { @Sendable (options: SpoolOptions) throws -> [EnqueueOutcome] in
                try spool.queue(queue, options: options).enqueue(
                    [try request("a", queue: queue), try request("b", queue: queue), try request("c", queue: queue)], expandingNow: true)
            }
            let recover = { @Sendable (options: SpoolOptions) throws in _ = try spool.queue(queue, options: options).recover() }
            return (queue, enqueue, recover)
        }
        let probe = try scenario()
        let enqueueSteps = try Self.steps { _ = try probe.enqueue($0) }
        let probe2 = try scenario()
        let recoverSteps = try Self.steps { try probe2.recover($0) }
        #expect(enqueueSteps > 20 && recoverSteps > 8, "the operations make \(enqueueSteps) and \(recoverSteps) calls")
        for enqueueFirst in [true, false] {
            for i in 1...enqueueSteps {
                for j in 1...recoverSteps {
                    let (queue, enqueue, recover) = try scenario()
                    let enqueueGate = StepGate(pauseAt: enqueueFirst ? i : j), recoverGate = StepGate(pauseAt: enqueueFirst ? j : i)
                    let outcomes = Mutex<[EnqueueOutcome]>([])
                    let enqueuing = (enqueueGate, { @Sendable in
                        outcomes.withLock { $0 = (try? enqueue(Self.options(enqueueGate))) ?? [] }
                    })
                    let recovering = (recoverGate, { @Sendable in _ = try? recover(Self.options(recoverGate)) })
                    if enqueueFirst { interleave(enqueuing, recovering) } else { interleave(recovering, enqueuing) }
                    let accepted = outcomes.withLock { $0 }.filter { if case .accepted = $0 { true } else { false } }
                    #expect(accepted.count == 3, "run \(run): every enqueue was accepted")
                    try spool.expectConsistent(queue: queue, expected: ["p1", "p2", "a", "b", "c"],
                                               "\(enqueueFirst ? "enqueue" : "recovery") paused at \(i), the other at \(j)")
                }
            }
        }
    }
}
