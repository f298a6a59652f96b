import Glibc
import SluiceHTTP

extension ControlPlane {
    /// `GET /healthz`: the supervisor's loop turned within the last 5 s.
    func health() -> HTTPResponse {
        let since = state.sinceHeartbeat
        guard since < 5_000_000_000 else {
            return .text(.serviceUnavailable, "the supervisor loop has not turned for \(since / 1_000_000) ms\n")
        }
        return .text(.ok, "ok\n")
    }

    /// `GET /readyz`: ready to take and do work: not draining, spool writable,
    /// the segment still in place, every queue's workers running. 503 with
    /// every reason otherwise.
    func readiness() -> HTTPResponse {
        var problems: [String] = []
        if state.isDraining { problems.append("draining: the fleet is shutting down") }
        if access(spoolRoot, W_OK) != 0 { problems.append("spool \(spoolRoot) is not writable") }
        // The segment this process attached is still the fleet's: if its name
        // was removed, a worker started now would create another one and
        // enforce the limits apart from the rest.
        if access("/dev/shm/sluice.\(config.fleet.rawValue)", F_OK) != 0 {
            problems.append("the shared-memory segment /sluice.\(config.fleet.rawValue) was removed while the fleet ran; restart the fleet")
        }
        if let coordinator = state.coordinator, !coordinator.up {
            problems.append(coordinator.reason ?? "coordinator: Redis does not answer")
        }
        let workers = state.workers
        for name in queueOrder {
            let tally = workers[name] ?? WorkerTally()
            if tally.running < tally.desired {
                problems.append("queue \(name): \(tally.running) of \(tally.desired) workers running")
            }
            if let error = sampler.sample(name).spoolError { problems.append("queue \(name): \(error)") }
        }
        guard problems.isEmpty else { return .text(.serviceUnavailable, problems.joined(separator: "\n") + "\n") }
        return .text(.ok, "ready\n")
    }
}
