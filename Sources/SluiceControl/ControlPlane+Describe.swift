import SluiceCluster
import SluiceJSON
import SluiceLimiter
import SluiceSpool

extension ControlPlane {
    /// A queue as `GET /v1/queues/{queue}` shows it: limits in force, backlog
    /// by state, observed pace, workers, schedule-to-start over the last
    /// minute, and (with a `coordinator` block) how it is limited across hosts.
    func describe(_ queue: Queue) -> JSONValue {
        let snapshot = MetricsSnapshot(queue: queue, plane: self)
        let overrides = (try? RuntimeOverrides.load(root: spoolRoot, queue: snapshot.name)) ?? RuntimeOverrides()
        return QueueDescription(snapshot: snapshot, provider: queue.config.provider.rawValue,
                                configuredRate: overrides.rate?.rate.text ?? queue.config.rate.text,
                                rateOverridden: overrides.rate != nil,
                                coordinator: config.coordinator.map { coordinator in
                                    CoordinatorDescription(config: coordinator,
                                                           status: state.coordinator ?? ClusterStatus.Snapshot(),
                                                           acrossHosts: queue.handle.isCoordinated)
                                }).json
    }
}

/// The describe document, shared by the API, `sluice queue describe` and `sluice top`.
struct QueueDescription {
    let snapshot: MetricsSnapshot
    let provider: String
    let configuredRate: String
    let rateOverridden: Bool
    /// Nil without a `coordinator` block.
    var coordinator: CoordinatorDescription? = nil

    /// The rate as configured and as in force (see `RateLearner`).
    var rateJSON: JSONValue {
        let inForce: JSONValue = snapshot.effectiveRate.isFinite ? .double((snapshot.effectiveRate * 1000).rounded() / 1000) : .null
        let share: JSONValue = snapshot.learner.map { .double(($0.share * 1000).rounded() / 1000) } ?? .null
        let decreases: JSONValue = snapshot.learner.map { .integer(Int(clamping: $0.decreases)) } ?? .null
        let perSecond: JSONValue = snapshot.configuredRate.isFinite ? .double(snapshot.configuredRate) : .null
        let fields: [(String, JSONValue)] = [
            ("configured", .string(configuredRate)),
            ("perSecond", perSecond),
            ("burst", .integer(Int(snapshot.configuredBurst))),
            ("setAtRuntime", .bool(rateOverridden)),
            ("observedPerSecond", .double((snapshot.sample.observedPerSecond * 100).rounded() / 100)),
            ("inForcePerSecond", inForce),
            ("edgeGuardSeconds", .double(Double(snapshot.limits.edgeGuard) / 1e9)),
            ("pathGuardSeconds", snapshot.learner.map { .double(Double($0.pathGuard) / 1e9) } ?? .null),
            ("learntShare", share),
            ("decreases", decreases),
        ]
        return .object(fields)
    }

    var json: JSONValue {
        let counts = snapshot.sample.counts
        let recent = snapshot.sample.recentScheduleToStart
        func seconds(_ nanoseconds: UInt64?) -> JSONValue { nanoseconds.map { .double(Double($0) / 1e9) } ?? .null }
        return .object([
            ("name", .string(snapshot.name)),
            ("provider", .string(provider)),
            ("rate", rateJSON),
            ("paused", .bool(snapshot.limits.paused)),
            ("backlog", counts.map { counts in .object([
                ("readyDue", .integer(counts.readyDue)),
                ("readyWaiting", .integer(counts.readyWaiting + counts.journaled)),
                ("leased", .integer(counts.leased)),
                ("dead", .integer(counts.dead)),
                ("oldestDueAgeSeconds", .double(Double(counts.oldestDueAge) / 1e9)),
            ]) } ?? .null),
            ("inflight", counts.map { .integer(max(0, $0.leased - $0.leasedByGoneProcesses)) } ?? .null),
            ("slotsInUse", .integer(snapshot.slotsInUse)),
            ("maxConcurrent", .integer(snapshot.limits.maxConcurrent)),
            ("workers", .object([
                ("desired", .integer(snapshot.workers.desired)), ("running", .integer(snapshot.workers.running)),
                ("starting", .integer(snapshot.workers.starting)), ("stopping", .integer(snapshot.workers.stopping)),
                ("gaveUp", .integer(snapshot.workers.gaveUp)), ("restarts", .integer(snapshot.workers.restarts)),
            ])),
            ("scheduleToStart", .object([
                ("window", .string("60s")),
                ("count", .integer(Int(recent.count))),
                ("p50Seconds", seconds(recent.quantile(0.5))),
                ("p99Seconds", seconds(recent.quantile(0.99))),
            ])),
            ("totals", .object([
                ("enqueued", .integer(Int(snapshot.statistics.enqueued))),
                ("requests", .integer(Int(snapshot.statistics.requestsStarted))),
                ("succeeded", .integer(Int(snapshot.statistics.completedSuccess))),
                ("dead", .integer(Int(snapshot.statistics.completedDead))),
                ("rateLimited", .integer(Int(snapshot.statistics.rateLimited))),
            ])),
            ("coordinator", coordinator?.json ?? .null),
        ])
    }
}
