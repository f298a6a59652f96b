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

    // D2: the enqueue that loses an id race answers "existing"; its copy of
    // the task must not run later, even when the winner finishes first.
    @Test func twoEnqueuesOfOneID_withTheWinnerFinishedBetween_runTheTaskOncePerAcceptance() throws {
        let spool = try SpoolFixture("race-id", inMemory: true)
        var run = 0
        func scenario() -> (queue: String, loser: @Sendable (SpoolOptions) throws -> EnqueueOutcome?, winner: @Sendable (SpoolOptions) throws -> Int) {
            run += 1
            let queue = "q\(run)"
            // The one that may lose: its batch is left for a later expansion, as
            // an ingest batch waits for a claimer when it is not expanded at once.
            let loser = { @Sendable (options: SpoolOptions) throws -> EnqueueOutcome? in
                try spool.queue(queue, options: options).enqueue([try request("x", queue: queue, to: "loser@example.com")]).first
            }
            // The other enqueues the same id, and its task runs to completion.
            let winner = { @Sendable (options: SpoolOptions) throws -> Int in
                let queue = try spool.queue(queue, options: options)
                let outcome = try queue.enqueue([try request("x", queue: queue.name.rawValue, to: "winner@example.com")], expandingNow: true)
                var ran = 0
                while let lease = try queue.claim() { ran += 1; try queue.complete(lease) }
                return outcome.first.map { if case .accepted = $0 { ran * 1000 + 1 } else { ran * 1000 } } ?? 0
            }
            return (queue, loser, winner)
        }
        let probe = scenario()
        let loserSteps = try Self.steps { _ = try probe.loser($0) }
        let probe2 = scenario()
        let winnerSteps = try Self.steps { _ = try probe2.winner($0) }
        for loserFirst in [true, false] {
            for i in 1...loserSteps {
                for j in 1...winnerSteps {
                    let (queue, loser, winner) = scenario()
                    let loserGate = StepGate(pauseAt: loserFirst ? i : j), winnerGate = StepGate(pauseAt: loserFirst ? j : i)
                    let results = Mutex<(loser: EnqueueOutcome?, winner: Int)>((nil, 0))
                    let losing = (loserGate, { @Sendable in
                        let outcome = try? loser(Self.options(loserGate))
                        results.withLock { $0.loser = outcome ?? nil }
                    })
                    let winning = (winnerGate, { @Sendable in
                        let code = (try? winner(Self.options(winnerGate))) ?? -1
                        results.withLock { $0.winner = code }
                    })
                    if loserFirst { interleave(losing, winning) } else { interleave(winning, losing) }
                    // Whatever is left runs now: expand every batch and run every task.
                    let rest = try spool.queue(queue)
                    try rest.expandPendingBatches()
                    var laterRuns = 0
                    while let lease = try rest.claim() { laterRuns += 1; try rest.complete(lease) }
                    let (loserOutcome, winnerCode) = results.withLock { $0 }
                    let acceptances = (winnerCode % 1000) + (loserOutcome.map { if case .accepted = $0 { 1 } else { 0 } } ?? 0)
                    let runs = winnerCode / 1000 + laterRuns
                    let context = "\(loserFirst ? "loser" : "winner") paused at \(i), the other at \(j)"
                    // Both may be accepted (the id is free again once its task
                    // finished), but a task told "existing" must never run.
                    #expect(runs == acceptances, "\(context): the task ran \(runs) times for \(acceptances) acceptance")
                    try spool.expectConsistent(queue: queue, expected: [], context)
                }
            }
        }
    }

    // D6: two operators replay the same dead task at once.
    @Test func twoReplaysOfOneDeadTask_atEveryPairOfSteps_leaveOneReadyCopy() throws {
        let spool = try SpoolFixture("race-replay", inMemory: true)
        var run = 0
        func scenario() throws -> (queue: String, replay: @Sendable (SpoolOptions) throws -> Int) {
            run += 1
            let queue = "q\(run)"
            let setup = try spool.queue(queue)
            try setup.enqueueNow([try request("d", queue: queue)])
            try setup.deadLetter(try #require(try setup.claim()), reason: "HTTP 400")
            let replay = { @Sendable (options: SpoolOptions) throws -> Int in
                try spool.queue(queue, options: options).replayDead(TaskID(validating: "d")).count
            }
            return (queue, replay)
        }
        let probe = try scenario()
        let replaySteps = try Self.steps { _ = try probe.replay($0) }
        for i in 1...replaySteps {
            for j in 1...replaySteps {
                let (queue, replay) = try scenario()
                let firstGate = StepGate(pauseAt: i), secondGate = StepGate(pauseAt: j)
                let replayed = Mutex(0)
                let first = (firstGate, { @Sendable in
                    let count = (try? replay(Self.options(firstGate))) ?? 0
                    replayed.withLock { $0 += count }
                })
                let second = (secondGate, { @Sendable in
                    let count = (try? replay(Self.options(secondGate))) ?? 0
                    replayed.withLock { $0 += count }
                })
                interleave(first, second)
                let context = "first paused at \(i), second at \(j)"
                #expect(replayed.withLock { $0 } == 1, "\(context): exactly one replay reports the task")
                #expect(spool.files(.ready, queue: queue).count == 1 && spool.files(.dead, queue: queue).isEmpty,
                        "\(context): one ready copy: ready \(spool.files(.ready, queue: queue)), dead \(spool.files(.dead, queue: queue))")
                #expect(try spool.queue(queue).claim()?.task.attempt == 1, "\(context): attempts reset")
                try spool.expectConsistent(queue: queue, expected: ["d"], context)
            }
        }
    }

    // D4, at the depth of the mechanism: the supervisor's own spool value both
    // ingests and recovers. Asked to include its own pid once it has written,
    // recovery must still treat its files as live.
    @Test func enqueueAndRecoveryIncludingOwnPid_onOneSpoolValue_loseNothing() throws {
        let spool = try SpoolFixture("race-own", inMemory: true)
        var run = 0
        func scenario() throws -> (queue: String, value: SpoolQueue, gate: StepGate) {
            run += 1
            let gate = StepGate()
            let value = try spool.queue("q\(run)", options: Self.options(gate))
            _ = try value.recover(includingOwnLeases: true)  // the start-up recovery, honoured
            return ("q\(run)", value, gate)
        }
        let probe = try scenario()
        let before = probe.gate.steps
        _ = try probe.value.enqueue([try request("a", queue: probe.queue)], expandingNow: true)
        let enqueueSteps = probe.gate.steps - before
        for i in 1...enqueueSteps {
            let (queue, value, _) = try scenario()
            let gate = StepGate(pauseAt: i)
            let paused = try spool.queue(queue, options: Self.options(gate))
            // Recovery runs on `value`, the same pid, while `paused` is stopped mid-enqueue;
            // then `value` itself enqueues and recovers including its own pid, as a reap would.
            let outcome = Mutex<EnqueueOutcome?>(nil)
            let enqueuing = (gate, { @Sendable in outcome.withLock { $0 = (try? paused.enqueue([try request("a", queue: queue)], expandingNow: true))?.first } })
            let recovering = (StepGate(), { @Sendable in
                _ = try? value.enqueue([try request("b", queue: queue)])
                _ = try? value.recover(includingOwnLeases: true)
            })
            interleave(enqueuing, recovering)
            #expect(outcome.withLock { $0.map { if case .accepted = $0 { true } else { false } } } == true, "step \(i): accepted")
            try spool.expectConsistent(queue: queue, expected: ["a", "b"], "enqueue stopped before call \(i)")
        }
    }
}
