import SluiceCluster
import SluiceHTTP
import SluiceJSON
import SluiceLimiter
import SluiceSpool

extension ControlPlane {
    /// `GET /v1/queues`: every queue, described.
    func listQueues() -> HTTPResponse {
        let queues = queueOrder.compactMap { self.queues[$0] }.map(describe)
        return .json(.ok, JSONWriter.bytes(.object([("queues", .array(queues))])))
    }

    /// `GET /v1/tasks/{id}`: the task, found in whichever queue has it.
    func showTask(_ text: String) throws(ControlError) -> HTTPResponse {
        let id: TaskID
        do { id = try TaskID(validating: Self.pathSegment(text)) } catch { throw .badRequest("\(error)") }
        for name in queueOrder {
            guard let queue = queues[name] else { continue }
            let status: TaskStatus?
            do { status = try queue.spool.status(of: id) } catch { throw .storage("\(error)") }
            if let status { return .json(.ok, JSONWriter.bytes(.object(status.jsonObject()))) }
        }
        throw .notFound("no task \"\(id.rawValue)\" in any queue (finished tasks are forgotten unless kept)")
    }

    /// `PUT /v1/queues/{queue}/rate` with `{"rate": "20/s", "burst": 5}`
    /// (`burst` optional: the current one is kept). Every process enforces it
    /// from its next reservation; it is saved so a restart keeps it. Several
    /// hosts: it is written to Redis too, and every host applies it.
    func setRate(_ request: HTTPRequest, _ queue: Queue) throws(ControlError) -> HTTPResponse {
        let body = try Self.jsonObject(request.body, example: #"{"rate": "20/s", "burst": 5}"#)
        guard case .string(let text)? = body["rate"] else { throw .badRequest("rate: required, a string like \"20/s\" or \"1200/min\"") }
        let rate: Rate
        do { rate = try Rate(parsing: text) } catch { throw .badRequest("rate: \(error)") }
        guard rate.interval > 0 else { throw .badRequest("rate: \"unlimited\" cannot be set at runtime; set a rate") }
        // The burst in force; an unlimited queue has none, so its configured one.
        let current = MetricsSnapshot(queue: queue, plane: self).configuredBurst
        var burst = current >= 1 ? current : queue.config.burst
        if let value = body["burst"] {
            guard case .number(let literal) = value, let parsed = UInt64(literal), parsed >= 1, parsed <= 1_000_000 else {
                throw .badRequest("burst: must be a whole number from 1 to 1000000")
            }
            burst = parsed
        }
        try Self.checkFields(body, allowed: ["rate", "burst"])
        try changeOverrides(queue) { overrides in
            overrides.rate = RuntimeOverrides.RateOverride(
                rate: rate, burst: burst,
                replacedRate: overrides.rate?.replacedRate ?? queue.config.rate.text,
                replacedBurst: overrides.rate?.replacedBurst ?? queue.config.burst)
        } apply: { () throws(CoordinatorError) in
            try putRateInForce(queue, rate: rate, burst: burst)
        } fleet: { overrides in
            overrides.rate.map { RuntimeChange(rate: $0.fleetSetting, liftsHold: true) }
        }
        queue.handle.clearPushBack()
        log.info("queue.rate_set", ("queue", queue.config.name.rawValue), ("rate", rate.text), ("burst", "\(burst)"))
        return .json(.ok, JSONWriter.bytes(describe(queue)))
    }

    /// `POST /v1/queues/{queue}/pause` and `/resume`: fleet-wide (every host
    /// of several, through Redis), saved.
    func setPaused(_ paused: Bool, _ queue: Queue) throws(ControlError) -> HTTPResponse {
        try changeOverrides(queue) { $0.paused = paused } apply: { () throws(CoordinatorError) in
            try queue.handle.setPaused(paused)
        } fleet: { _ in
            RuntimeChange(paused: paused, liftsHold: !paused)
        }
        if !paused { queue.handle.clearPushBack() }
        log.info(paused ? "queue.paused" : "queue.resumed", ("queue", queue.config.name.rawValue))
        return .json(.ok, JSONWriter.bytes(describe(queue)))
    }

    /// `POST /v1/queues/{queue}/reset`: every retry waiting for its backoff is due now.
    func resetWaiting(_ queue: Queue) throws(ControlError) -> HTTPResponse {
        let ids: [TaskID]
        do { ids = try queue.spool.resetWaitingRetries() } catch { throw .storage("\(error)") }
        // The fleet's hold is lifted too (before this host's, so the agent
        // does not read it back from Redis in between).
        overridesLock.withLock { _ in runtime?.post(queue.config.name, RuntimeChange(liftsHold: true)) }
        queue.handle.clearPushBack()
        log.info("queue.reset", ("queue", queue.config.name.rawValue), ("tasks", "\(ids.count)"))
        return .json(.ok, JSONWriter.bytes(.object([("reset", .array(ids.map { .string($0.rawValue) }))])))
    }

    /// `PUT /v1/queues/{queue}/processes` with `{"processes": 3}`: the
    /// supervisor starts new workers or tells the extra ones to drain.
    func scale(_ request: HTTPRequest, _ queue: Queue) async throws(ControlError) -> HTTPResponse {
        let body = try Self.jsonObject(request.body, example: #"{"processes": 3}"#)
        guard let processes = body.integer(at: "processes"), (0...256).contains(processes) else {
            throw .badRequest("processes: required, a whole number from 0 to 256")
        }
        try Self.checkFields(body, allowed: ["processes"])
        switch await state.requestScale(queue: queue.config.name.rawValue, to: processes) {
        case .refused(let reason):
            throw .unavailable(reason)
        case .scaled(let from, let to):
            log.info("queue.scaled", ("queue", queue.config.name.rawValue), ("from", "\(from)"), ("to", "\(to)"))
            return .json(.ok, JSONWriter.bytes(.object([("queue", .string(queue.config.name.rawValue)),
                                                        ("from", .integer(from)), ("processes", .integer(to))])))
        }
    }

    /// Saves a queue's process count for the next start. Called by the
    /// supervisor's loop before it applies a scale request, so the file
    /// follows the order in which requests are applied.
    public func saveProcesses(_ processes: Int, queue name: String) throws(ControlError) {
        guard let queue = queues[name] else { throw .notFound("no queue \(name)") }
        try overridesLock.withLock { _ throws(ControlError) in
            var overrides = try RuntimeOverrides.load(root: spoolRoot, queue: name)
            overrides.processes = processes == queue.config.processes ? nil
                : RuntimeOverrides.ProcessesOverride(processes: processes, replaced: queue.config.processes)
            try overrides.save(root: spoolRoot, queue: name)
        }
    }

    /// Saves the changed overrides first, then applies the change to the
    /// segment: a change that is live is always one a restart keeps. If
    /// either step fails, the file is put back as it was (a save can fail
    /// after its rename, in the directory's fsync). Several hosts: then the
    /// change `fleet` makes of the new overrides is posted for the agent to
    /// write to Redis, under the same lock a record read from Redis is
    /// applied under (see `RuntimeExchange`).
    private func changeOverrides(_ queue: Queue, _ change: (inout RuntimeOverrides) -> Void,
                                 apply: () throws(CoordinatorError) -> Void,
                                 fleet: (RuntimeOverrides) -> RuntimeChange?) throws(ControlError) {
        try overridesLock.withLock { _ throws(ControlError) in
            let overrides = try changeOverridesLocked(queue, change, apply: apply)
            if let runtime, let posted = fleet(overrides) { runtime.post(queue.config.name, posted) }
        }
    }

    /// `changeOverrides` without the fleet. Requires: `overridesLock` held.
    /// Returns the overrides saved.
    @discardableResult
    func changeOverridesLocked(_ queue: Queue, _ change: (inout RuntimeOverrides) -> Void,
                               apply: () throws(CoordinatorError) -> Void) throws(ControlError) -> RuntimeOverrides {
        let name = queue.config.name.rawValue
        let saved = try RuntimeOverrides.load(root: spoolRoot, queue: name)
        var overrides = saved
        change(&overrides)
        do throws(ControlError) {
            try overrides.save(root: spoolRoot, queue: name)
            try Self.applying(apply)
            return overrides
        } catch {
            do {
                try saved.save(root: spoolRoot, queue: name)
            } catch let restore {
                log.error("queue.overrides_restore_failed", ("queue", name), ("error", "\(restore)"))
            }
            throw error
        }
    }

    /// Puts an operator's rate in force: learning starts again from it and,
    /// on a queue whose rate comes from the fleet's schedule, the instants
    /// granted at the old rate and not yet claimed pass unused (the next
    /// block is reserved at the new rate).
    func putRateInForce(_ queue: Queue, rate: Rate, burst: UInt64) throws(CoordinatorError) {
        try rateLearning.configure(queue.config.name.rawValue, limit: GCRA.Limit(rate: rate, burst: burst), window: rate.period)
        if queue.handle.isCoordinated { queue.handle.discardGrants() }
    }

    private static func applying(_ apply: () throws(CoordinatorError) -> Void) throws(ControlError) {
        do { try apply() } catch { throw .storage("the shared segment refused the change: \(error)") }
    }

    static func jsonObject(_ body: [UInt8], example: String) throws(ControlError) -> JSONObject {
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch { throw .badRequest("the body is not JSON (\(error)); send e.g. \(example)") }
        guard case .object(let object) = value else { throw .badRequest("the body must be a JSON object, e.g. \(example)") }
        return object
    }

    static func checkFields(_ object: JSONObject, allowed: [String]) throws(ControlError) {
        if let unknown = object.keys.first(where: { !allowed.contains($0) }) {
            throw .badRequest("\(unknown): unknown field (allowed: \(allowed.joined(separator: ", ")))")
        }
    }
}
