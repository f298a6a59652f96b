/// What a fleet's workers spent on each request: the CPU time (utime +
/// stime, from /proc) of every worker that ran, each at its last reading
/// (one that exited or was replaced still counts), over the requests the
/// provider saw (refused and retried ones included: each was sent).
///
/// The supervisor and the bench are left out: they do not grow with the
/// requests, and the question is what the workers' own path costs.
struct CPUPerRequest: Equatable {
    let workerSeconds: Double
    let requests: Int

    init(workers: [E2EDrainReport.Worker], requests: Int) {
        workerSeconds = workers.reduce(0) { $0 + $1.cpuSeconds }
        self.requests = requests
    }

    /// CPU µs per request; nil without requests.
    var microseconds: Double? { requests > 0 ? workerSeconds / Double(requests) * 1e6 : nil }

    /// How many times `baseline`'s cost per request this one is; nil when either cannot be said.
    func ratio(to baseline: CPUPerRequest) -> Double? {
        guard let mine = microseconds, let theirs = baseline.microseconds, theirs > 0 else { return nil }
        return mine / theirs
    }
}
