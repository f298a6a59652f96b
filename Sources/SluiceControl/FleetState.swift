import SluiceCluster
import SluicePOSIX
import Synchronization

/// How many of a queue's worker processes are in each state, as the
/// supervisor last saw them.
public struct WorkerTally: Sendable, Equatable {
    /// Processes the queue should have (configured, or scaled at runtime).
    public var desired = 0
    public var running = 0
    /// Waiting to start, or to restart after a crash (backoff).
    public var starting = 0
    /// Told to stop (drain, or scaled down); not yet exited.
    public var stopping = 0
    /// Crashed too often too fast: left stopped.
    public var gaveUp = 0
    /// Restarts after a crash since the supervisor started.
    public var restarts = 0

    public init() {}
}

/// What the supervisor's single-threaded loop shares with the HTTP handlers:
/// its heartbeat, its workers, whether it drains, and requests to scale that
/// only the loop may carry out (it owns the worker table).
///
/// The loop writes, handlers read; everything behind one mutex held for
/// copies only.
public final class FleetState: Sendable {
    private struct Shared {
        var heartbeat: UInt64 = MonotonicClock.now()
        var workers: [String: WorkerTally] = [:]
        var draining = false
        var scaleRequests: [ScaleRequest] = []
    }

    private let shared = Mutex(Shared())
    private let coordinatorStatus = Mutex<ClusterStatus?>(nil)

    public init() {}

    /// Several hosts: the agent's status, for `/readyz` and `/metrics`.
    public func attachCoordinator(_ status: ClusterStatus) {
        coordinatorStatus.withLock { $0 = status }
    }

    /// What the host's agent last reported; nil without a coordinator.
    public var coordinator: ClusterStatus.Snapshot? { coordinatorStatus.withLock { $0 }?.snapshot }

    // MARK: Written by the supervisor loop

    /// The loop is alive (once per turn).
    public func beat() {
        shared.withLock { $0.heartbeat = MonotonicClock.now() }
    }

    public func publish(_ workers: [String: WorkerTally]) {
        shared.withLock { $0.workers = workers }
    }

    public func beginDraining() {
        shared.withLock { $0.draining = true }
    }

    /// Requests the loop has not answered yet; the loop must answer each.
    public func takeScaleRequests() -> [ScaleRequest] {
        shared.withLock { shared in
            defer { shared.scaleRequests = [] }
            return shared.scaleRequests
        }
    }

    // MARK: Read by handlers

    /// Nanoseconds since the loop's last turn.
    public var sinceHeartbeat: UInt64 {
        let beat = shared.withLock { $0.heartbeat }
        let now = MonotonicClock.now()
        return now > beat ? now - beat : 0
    }

    public var workers: [String: WorkerTally] { shared.withLock { $0.workers } }
    public var isDraining: Bool { shared.withLock { $0.draining } }

    /// Asks the loop to run `processes` workers for `queue`; answers once
    /// the loop has applied it (started new ones or told extra ones to drain).
    public func requestScale(queue: String, to processes: Int) async -> ScaleAnswer {
        await withCheckedContinuation { continuation in
            let request = ScaleRequest(queue: queue, processes: processes, continuation: continuation)
            let refused: Bool = shared.withLock { shared in
                guard !shared.draining else { return true }
                shared.scaleRequests.append(request)
                return false
            }
            if refused { request.answer(.refused("the fleet is draining")) }
        }
    }
}

/// A request to change a queue's process count, answered exactly once.
public struct ScaleRequest: Sendable {
    public let queue: String
    public let processes: Int
    let continuation: CheckedContinuation<ScaleAnswer, Never>

    public func answer(_ answer: ScaleAnswer) { continuation.resume(returning: answer) }
}

public enum ScaleAnswer: Sendable, Equatable {
    /// Applied: `from` processes before, `to` now desired.
    case scaled(from: Int, to: Int)
    case refused(String)
}
