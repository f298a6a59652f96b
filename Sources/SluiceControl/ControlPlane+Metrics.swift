import SluiceCluster
import SluiceHTTP
import SluiceLimiter
import SluiceSpool

extension ControlPlane {
    /// `GET /metrics`: the fleet's Prometheus page, rendered from the shared
    /// counters (every process's work) and the sampler's spool counts.
    /// Scrapes that arrive together share one rendering (`RenderCoalescer`).
    func metrics() async -> HTTPResponse {
        let page = await metricsRendering.page {
            let workers = state.workers
            let snapshots = queueOrder.compactMap { name in queues[name].map { MetricsSnapshot(queue: $0, plane: self, workers: workers) } }
            return MetricsPage.render(snapshots, coordinator: state.coordinator)
        }
        return HTTPResponse(status: .ok, headers: ["Content-Type": PrometheusText.contentType], body: page)
    }
}

/// Everything `/metrics` says of one queue, read once per scrape.
struct MetricsSnapshot {
    let name: String
    let statistics: TaskStatistics
    let limiter: QueueCounters
    let limits: QueueLimits
    let slotsInUse: Int
    let sample: QueueSample
    let workers: WorkerTally
    let grantsPublished: UInt64
    let grantsPassedUnused: UInt64
    /// The queue's rate learning (nil: not learnt, e.g. in a test's plane).
    let learner: RateLearner?

    init(queue: ControlPlane.Queue, plane: ControlPlane, workers: [String: WorkerTally]? = nil) {
        grantsPublished = queue.handle.grantsPublished
        grantsPassedUnused = queue.handle.grantsPassedUnused
        name = queue.config.name.rawValue
        statistics = queue.handle.taskStatisticsTotals
        limiter = queue.handle.counterTotals
        limits = queue.handle.limits
        slotsInUse = queue.handle.slotsInUse
        sample = plane.sampler.sample(name)
        self.workers = (workers ?? plane.state.workers)[name] ?? WorkerTally()
        learner = plane.rateLearning.learner(name)
    }

    /// The rate configured (the provider's number, or an operator's set-rate).
    var configuredLimit: GCRA.Limit { learner?.configured ?? limits.rate }
    /// Requests per second the limiter is configured for (+Inf: unlimited).
    var configuredRate: Double { Self.perSecond(configuredLimit) }
    var configuredBurst: UInt64 { configuredLimit.interval == 0 ? 0 : configuredLimit.capacity }
    /// Requests per second in force now: the configured rate less the edge
    /// guard and whatever 429s taught (see `RateLearner`).
    var effectiveRate: Double { Self.perSecond(limits.rate) }

    private static func perSecond(_ limit: GCRA.Limit) -> Double { limit.interval == 0 ? .infinity : 1e9 / Double(limit.interval) }
}

/// The text of `/metrics`: one family at a time, every queue's samples in it.
enum MetricsPage {
    static func render(_ queues: [MetricsSnapshot], coordinator: ClusterStatus.Snapshot? = nil) -> [UInt8] {
        var page = PrometheusText()
        func each(_ name: String, _ kind: PrometheusText.Kind, _ help: String,
                  _ body: (inout PrometheusText, MetricsSnapshot, PrometheusText.Labels) -> Void) {
            page.family(name, kind, help)
            for (queue, labels) in zip(queues, labels) { body(&page, queue, labels) }
        }
        let labels = queues.map { PrometheusText.Labels([("queue", $0.name)]) }

        each("sluice_tasks_enqueued_total", .counter, "Tasks accepted into the spool (ingest API and CLI), duplicates excluded.") {
            $0.sample("sluice_tasks_enqueued_total", $2, $1.statistics.enqueued)
        }
        each("sluice_tasks_completed_total", .counter, "Tasks finished for good, by outcome (success, or dead after failing).") {
            $0.sample("sluice_tasks_completed_total", $2, ("outcome", "success"), $1.statistics.completedSuccess)
            $0.sample("sluice_tasks_completed_total", $2, ("outcome", "dead"), $1.statistics.completedDead)
        }
        each("sluice_task_attempts_total", .counter, "Attempts concluded, by result.") { page, queue, labels in
            for result in AttemptResult.allCases {
                page.sample("sluice_task_attempts_total", labels, ("result", result.label), queue.statistics.attempts[result.rawValue])
            }
        }
        each("sluice_requests_started_total", .counter, "HTTP requests sent to the provider (counted when sending starts).") {
            $0.sample("sluice_requests_started_total", $2, $1.statistics.requestsStarted)
        }
        each("sluice_http_requests_total", .counter, "Answers received from the provider, by status code (others by class).") { page, queue, labels in
            for (bucket, count) in queue.statistics.responses.enumerated() where count > 0 {
                page.sample("sluice_http_requests_total", labels, ("code", StatusCodeBucket.label(bucket)), count)
            }
        }
        each("sluice_rate_limited_total", .counter, "429 answers received: requests the provider refused as too many.") {
            $0.sample("sluice_rate_limited_total", $2, $1.statistics.rateLimited)
        }
        each("sluice_queue_backlog", .gauge, "Tasks in the spool by state (sampled each second): ready_due may start now, ready_waiting later.") { page, queue, labels in
            guard let counts = queue.sample.counts else { return }
            for (state, value) in [("ready_due", counts.readyDue), ("ready_waiting", counts.readyWaiting + counts.journaled),
                                   ("leased", counts.leased), ("dead", counts.dead)] {
                page.sample("sluice_queue_backlog", labels, ("state", state), UInt64(value))
            }
        }
        each("sluice_queue_oldest_due_age_seconds", .gauge, "How long the longest-waiting due task has been due (0: none due).") {
            guard let counts = $1.sample.counts else { return }
            $0.sample("sluice_queue_oldest_due_age_seconds", $2, Double(counts.oldestDueAge) / 1e9)
        }
        each("sluice_rate_limit_rps", .gauge, "The queue's configured global rate, requests per second (as in force now).") {
            $0.sample("sluice_rate_limit_rps", $2, $1.configuredRate)
        }
        each("sluice_rate_limit_burst", .gauge, "The queue's configured burst.") {
            $0.sample("sluice_rate_limit_burst", $2, $1.configuredBurst)
        }
        each("sluice_rate_limit_effective_rps", .gauge,
             "The rate in force, requests per second: the configured rate less the edge guard and what 429s taught.") {
            $0.sample("sluice_rate_limit_effective_rps", $2, $1.effectiveRate)
        }
        each("sluice_rate_limit_edge_guard_seconds", .gauge,
             "How late after its instant a request may still go on the wire; the spacing leaves this much per window.") {
            $0.sample("sluice_rate_limit_edge_guard_seconds", $2, Double($1.limits.edgeGuard) / 1e9)
        }
        each("sluice_rate_limit_path_guard_seconds", .gauge,
             "What the spacing leaves per window for the path after a request is stamped (network jitter); doubled by a 429 at the full rate.") {
            guard let learner = $1.learner else { return }
            $0.sample("sluice_rate_limit_path_guard_seconds", $2, Double(learner.pathGuard) / 1e9)
        }
        each("sluice_rate_limit_learnt_share", .gauge, "The share of the configured rate that 429s left (1: all of it).") {
            guard let learner = $1.learner else { return }
            $0.sample("sluice_rate_limit_learnt_share", $2, learner.share)
        }
        each("sluice_rate_limit_decreases", .gauge, "429s that lowered the rate in force since the rate was configured or set.") {
            guard let learner = $1.learner else { return }
            $0.sample("sluice_rate_limit_decreases", $2, learner.decreases)
        }
        each("sluice_queue_paused", .gauge, "1 while the queue is paused.") {
            $0.sample("sluice_queue_paused", $2, UInt64($1.limits.paused ? 1 : 0))
        }
        each("sluice_observed_rate_rps", .gauge, "Requests started per second over the last 10 s.") {
            $0.sample("sluice_observed_rate_rps", $2, $1.sample.observedPerSecond)
        }
        each("sluice_inflight", .gauge, "Tasks held by live workers: waiting for their start instant, being sent, or being settled.") {
            guard let counts = $1.sample.counts else { return }
            $0.sample("sluice_inflight", $2, UInt64(max(0, counts.leased - counts.leasedByGoneProcesses)))
        }
        each("sluice_concurrency_slots_in_use", .gauge, "Fleet-wide concurrency slots held (requests sending under maxConcurrent).") {
            $0.sample("sluice_concurrency_slots_in_use", $2, UInt64($1.slotsInUse))
        }
        each("sluice_schedule_to_start_seconds", .histogram, "From the instant a task was due to the instant its request was sent.") {
            $0.histogram("sluice_schedule_to_start_seconds", $2, $1.statistics.scheduleToStart)
        }
        each("sluice_limiter_wait_seconds", .histogram, "How long the limiter made granted requests wait for their start instant.") {
            var waits = LatencyHistogram()
            waits.counts = $1.limiter.waitHistogram
            waits.sumNanoseconds = $1.limiter.waitNanoseconds
            $0.histogram("sluice_limiter_wait_seconds", $2, waits)
        }
        each("sluice_request_start_lateness_seconds", .histogram,
             "From a request's granted instant to its head on the wire, or to being found later than the edge guard.") {
            $0.histogram("sluice_request_start_lateness_seconds", $2, $1.statistics.startLateness)
        }
        each("sluice_requests_late_rebooked_total", .counter,
             "Requests not sent because they would have gone later than the edge guard after their instant: booked again.") {
            $0.sample("sluice_requests_late_rebooked_total", $2, $1.statistics.lateRebooked)
        }
        each("sluice_request_duration_seconds", .histogram, "From sending a request to having its answer (or its failure).") {
            $0.histogram("sluice_request_duration_seconds", $2, $1.statistics.requestDuration)
        }
        each("sluice_limiter_push_backs_total", .counter, "Times a 429 or an exhausted budget pushed the whole queue back.") {
            $0.sample("sluice_limiter_push_backs_total", $2, $1.limiter.pushBacks)
        }
        each("sluice_limiter_key_deferrals_total", .counter,
             "Tasks given back to the spool because their key's own limit would not allow them within the booking horizon.") {
            $0.sample("sluice_limiter_key_deferrals_total", $2, $1.limiter.keyDeferrals)
        }
        each("sluice_limiter_key_table_full_total", .counter,
             "Reservations refused because every position a new key may take held a live key (the task went back to the spool).") {
            $0.sample("sluice_limiter_key_table_full_total", $2, $1.limiter.keyTableFull)
        }
        each("sluice_limiter_slots_reclaimed_total", .counter, "Concurrency slots freed because their holder died.") {
            $0.sample("sluice_limiter_slots_reclaimed_total", $2, $1.limiter.slotsReclaimed)
        }
        each("sluice_workers", .gauge, "Worker processes by state.") { page, queue, labels in
            for (state, value) in [("running", queue.workers.running), ("starting", queue.workers.starting),
                                   ("stopping", queue.workers.stopping), ("gave_up", queue.workers.gaveUp)] {
                page.sample("sluice_workers", labels, ("state", state), UInt64(value))
            }
        }
        each("sluice_workers_desired", .gauge, "Worker processes the queue should have (configured or scaled at runtime).") {
            $0.sample("sluice_workers_desired", $2, UInt64($1.workers.desired))
        }
        each("sluice_worker_restarts_total", .counter, "Worker processes restarted after a crash, since the supervisor started.") {
            $0.sample("sluice_worker_restarts_total", $2, UInt64($1.workers.restarts))
        }
        if let coordinator { renderCoordinator(&page, coordinator, queues: queues, labels: labels) }
        return page.bytes
    }

    /// Several hosts: the agent's families (only with a `coordinator` block).
    private static func renderCoordinator(_ page: inout PrometheusText, _ status: ClusterStatus.Snapshot,
                                          queues: [MetricsSnapshot], labels: [PrometheusText.Labels]) {
        let none = PrometheusText.Labels([])
        page.family("sluice_coordinator_up", .gauge, "1 while Redis answers this host's agent, 0 while it cannot be used.")
        page.sample("sluice_coordinator_up", none, UInt64(status.up ? 1 : 0))
        page.family("sluice_coordinator_redis_commands_total", .counter, "Calls this host's agent made to Redis (one script run each), failed ones included.")
        page.sample("sluice_coordinator_redis_commands_total", none, status.redisCalls)
        page.family("sluice_coordinator_redis_failures_total", .counter, "Calls to Redis that failed or timed out.")
        page.sample("sluice_coordinator_redis_failures_total", none, status.failedCalls)
        page.family("sluice_coordinator_blocks_total", .counter, "Blocks of start instants: granted by Redis, discarded (round trip over the bound), or shared (this host alone at rate ÷ maxHosts).")
        page.sample("sluice_coordinator_blocks_total", none, ("outcome", "granted"), status.blocksGranted)
        page.sample("sluice_coordinator_blocks_total", none, ("outcome", "discarded"), status.blocksDiscarded)
        page.sample("sluice_coordinator_blocks_total", none, ("outcome", "shared"), status.blocksShared)
        page.family("sluice_coordinator_round_trip_seconds", .gauge, "The latest round trip of a call to Redis.")
        page.sample("sluice_coordinator_round_trip_seconds", none, Double(status.lastRoundTrip) / 1e9)
        page.family("sluice_coordinator_instants_total", .counter, "Start instants granted to this host, by fate: granted (all), passed_unused (past before any worker claimed them).")
        for (queue, labels) in zip(queues, labels) {
            page.sample("sluice_coordinator_instants_total", labels, ("outcome", "granted"), queue.grantsPublished)
            page.sample("sluice_coordinator_instants_total", labels, ("outcome", "passed_unused"), queue.grantsPassedUnused)
        }
        page.family("sluice_coordinator_holds_total", .counter, "Holds (a 429's push-back): published to the fleet by this host, or applied here from another host.")
        page.sample("sluice_coordinator_holds_total", none, ("direction", "published"), status.holdsPublished)
        page.sample("sluice_coordinator_holds_total", none, ("direction", "applied"), status.holdsApplied)
        page.family("sluice_coordinator_settings_changes_total", .counter, "Runtime changes (set-rate, pause, resume): written to Redis from this host, or applied here from another host.")
        page.sample("sluice_coordinator_settings_changes_total", none, ("direction", "written"), status.settingsWritten)
        page.sample("sluice_coordinator_settings_changes_total", none, ("direction", "applied"), status.settingsApplied)
    }
}
