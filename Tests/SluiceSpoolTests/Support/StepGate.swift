import Dispatch
import SluiceSpool
import Synchronization

/// Counts one spool value's file-system calls (through the `SpoolFaults`
/// seam) and, when asked, stops its thread just before the `pauseAt`-th
/// call until the test says go: a deterministic point of preemption.
///
/// Optionally fails the calls that `failure` picks, as a disk would.
final class StepGate: Sendable {
    private struct State {
        var steps = 0
        var pauseAt: Int?
        var trace: [String] = []
    }

    private let state = Mutex(State())
    private let reachedPause = DispatchSemaphore(value: 0)
    private let go = DispatchSemaphore(value: 0)
    private let failure: (@Sendable (_ call: String, _ path: String) -> Int32?)?

    init(pauseAt: Int? = nil, failure: (@Sendable (_ call: String, _ path: String) -> Int32?)? = nil) {
        state.withLock { $0.pauseAt = pauseAt }
        self.failure = failure
    }

    /// The seam to hand the spool value.
    var faults: SpoolFaults {
        SpoolFaults { [self] call, path in
            let pause = state.withLock { state -> Bool in
                state.steps += 1
                state.trace.append("\(call) \(path)")
                return state.steps == state.pauseAt
            }
            if pause {
                reachedPause.signal()
                go.wait()
            }
            return failure?(call, path)
        }
    }

    /// Calls seen so far.
    var steps: Int { state.withLock { $0.steps } }
    /// Each call seen, `"<call> <path>"`, in order.
    var trace: [String] { state.withLock { $0.trace } }

    /// Waits until the thread reached its pause point or `done` says it
    /// finished (it had fewer steps); true if it is paused.
    func waitPausedOrDone(_ done: DispatchGroup) -> Bool {
        while true {
            if reachedPause.wait(timeout: .now() + .milliseconds(1)) == .success { return true }
            if done.wait(timeout: .now()) == .success { return false }
        }
    }

    func resume() { go.signal() }
}

/// Runs `first` and `second`, each on its own thread, in the schedule
/// first[0..<i) second[0..<j) first[i...] second[j...], where i and j are
/// the gates' pause points (a gate without one runs its side through).
/// Every two-preemption interleaving of two operations is one (i, j) pair.
func interleave(_ first: (gate: StepGate, run: @Sendable () -> Void), _ second: (gate: StepGate, run: @Sendable () -> Void)) {
    let firstDone = DispatchGroup(), secondDone = DispatchGroup()
    firstDone.enter()
    DispatchQueue.global().async { first.run(); firstDone.leave() }
    let firstPaused = first.gate.waitPausedOrDone(firstDone)
    secondDone.enter()
    DispatchQueue.global().async { second.run(); secondDone.leave() }
    let secondPaused = second.gate.waitPausedOrDone(secondDone)
    if firstPaused { first.gate.resume() }
    firstDone.wait()
    if secondPaused { second.gate.resume() }
    secondDone.wait()
}
