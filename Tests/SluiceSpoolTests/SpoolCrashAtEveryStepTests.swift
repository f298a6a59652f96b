import Foundation
import Glibc
import SluiceCore
import SluiceTestSupport
import Synchronization
import Testing
@testable import SluiceSpool

/// An enqueuer killed (SIGKILL, by itself) just before each of its
/// file-system calls in turn, while a recovery in this process is stopped at
/// each of its own steps: the crash table of README, walked step by step
/// with a concurrent recovery, instead of sampled at random instants.
@Suite(.serialized) struct SpoolCrashAtEveryStepTests {
    static let ids = ["k1", "k2", "k3"]

    // D3: a recovery that lists journal/ before a commit and judges the
    // origin after the committer died must not orphan its markers.
    @Test func enqueuerKilledAtEachStep_withRecoveryStoppedAtEachOfItsSteps_losesNoAcknowledgedTask() throws {
        let spool = try SpoolFixture("crash-step", inMemory: true)
        var run = 0
        func enqueuer(queue: String, dieAt: Int) throws -> SpoolChild {
            run += 1
            return try SpoolChild("spool-die-at", [spool.root, queue, "\(dieAt)"] + Self.ids, outputPath: spool.scratch.file("run\(run).out"))
        }
        _ = try spool.queue("probe")
        let probe = try enqueuer(queue: "probe", dieAt: 1_000_000)
        #expect(probe.waitForExit(seconds: 30) == .exited(0), "\(probe.errors)")
        let enqueueSteps = try #require(probe.lines.last.flatMap { $0.hasPrefix("steps ") ? Int($0.dropFirst(6)) : nil })
        let recoverSteps = try SpoolRaceTests.steps { options in _ = try spool.queue("probe", options: options).recover() }
        #expect(enqueueSteps > 20 && recoverSteps > 4, "the operations make \(enqueueSteps) and \(recoverSteps) calls")
        var interrupted = 0
        for dieAt in 1...enqueueSteps + 1 {
            for pauseAt in 1...recoverSteps + 1 {
                let queue = "q\(dieAt)-\(pauseAt)"
                _ = try spool.queue(queue)
                let gate = StepGate(pauseAt: pauseAt)
                let recovering = DispatchGroup()
                recovering.enter()
                DispatchQueue.global().async {
                    _ = try? spool.queue(queue, options: SpoolRaceTests.options(gate)).recover()
                    recovering.leave()
                }
                let paused = gate.waitPausedOrDone(recovering)
                let child = try enqueuer(queue: queue, dieAt: dieAt)
                let status = child.waitForExit(seconds: 30)
                if status == .signaled(SIGKILL) { interrupted += 1 }
                if paused { gate.resume() }
                recovering.wait()
                let accepted = Set(child.lines.compactMap { $0.hasPrefix("accepted ") ? String($0.dropFirst(9)) : nil })
                #expect(dieAt <= enqueueSteps || accepted.count == 3, "\(queue): \(child.errors)")
                try spool.expectConsistent(queue: queue, required: accepted, allowed: Set(Self.ids),
                                           "enqueuer killed before call \(dieAt), recovery stopped before call \(pauseAt)")
            }
        }
        #expect(interrupted >= enqueueSteps * recoverSteps, "the kills landed: \(interrupted)")
    }
}
