import SluiceCluster
import SluiceConfig
import SluiceCore
import SluiceLimiter

/// Several hosts: runtime settings another host's operator changed, read
/// from Redis by this host's agent, applied here as if set here: to the
/// segment (rate in force, paused, push-back) and to the overrides file, so
/// a restart of this host keeps them even before Redis answers.
extension ControlPlane {
    /// Applies `record` (see `RuntimeExchange.Applier`). Only what differs
    /// from this host's state changes, so applying a record twice, or this
    /// host's own, changes nothing. False, with nothing done, while a change
    /// made here waits to be written to Redis: that change is newer.
    func applyFleetRuntime(_ name: QueueName, _ record: FleetRuntime, liftsHold: Bool) -> Bool {
        guard let queue = queues[name.rawValue] else { return true }
        return overridesLock.withLock { _ -> Bool in
            if runtime?.isPending(name) == true { return false }
            do {
                try applyFleetRuntimeLocked(queue, record)
            } catch {
                // A disk that refuses the overrides, or a segment that refuses
                // the limits: said, and not retried (the next change is).
                log.error("queue.fleet_change_failed", ("queue", name.rawValue), ("version", "\(record.version)"), ("error", "\(error)"))
            }
            if liftsHold { queue.handle.clearPushBack() }
            return true
        }
    }

    /// Requires: `overridesLock` held.
    private func applyFleetRuntimeLocked(_ queue: Queue, _ record: FleetRuntime) throws(ControlError) {
        let name = queue.config.name.rawValue
        let current = try RuntimeOverrides.load(root: spoolRoot, queue: name)
        let rate = FleetRuntimeDecision.rate(record.rate, configured: queue.config, current: current.rate)
        if case .configurationChanged(let setting) = rate {
            log.warn("queue.fleet_rate_not_applied", ("queue", name), ("rate", setting.rate.text),
                     ("replaced", "\(setting.replacedRate) burst \(setting.replacedBurst)"),
                     ("reason", "this host's configuration says \(queue.config.rate.text) burst \(queue.config.burst): it wins, as for a saved override"))
        }
        let paused = record.paused.flatMap { $0 != queue.handle.limits.paused ? $0 : nil }
        guard case .apply(let setting) = rate else {
            guard let paused else { return }
            try changeOverridesLocked(queue, { $0.paused = paused }, apply: { () throws(CoordinatorError) in try queue.handle.setPaused(paused) })
            log.info(paused ? "queue.paused" : "queue.resumed", ("queue", name), ("by", "fleet"))
            return
        }
        try changeOverridesLocked(queue, { overrides in
            overrides.rate = RuntimeOverrides.RateOverride(rate: setting.rate, burst: setting.burst,
                                                           replacedRate: setting.replacedRate, replacedBurst: setting.replacedBurst)
            if let paused { overrides.paused = paused }
        }, apply: { () throws(CoordinatorError) in
            try putRateInForce(queue, rate: setting.rate, burst: setting.burst)
            if let paused { try queue.handle.setPaused(paused) }
        })
        log.info("queue.rate_set", ("queue", name), ("rate", setting.rate.text), ("burst", "\(setting.burst)"), ("by", "fleet"))
        if let paused { log.info(paused ? "queue.paused" : "queue.resumed", ("queue", name), ("by", "fleet")) }
    }
}

/// What a host does with the rate in a fleet record: a pure decision.
enum FleetRuntimeDecision: Equatable {
    /// Put it in force (and save it).
    case apply(FleetRuntime.RateSetting)
    /// Nothing: the fleet set none, or this host already has it.
    case keep
    /// Not applied: it replaced a configured rate this host's configuration
    /// no longer says (the rule of `RuntimeOverrides.applicable`).
    case configurationChanged(FleetRuntime.RateSetting)

    static func rate(_ setting: FleetRuntime.RateSetting?, configured: QueueConfig,
                     current: RuntimeOverrides.RateOverride?) -> FleetRuntimeDecision {
        guard let setting else { return .keep }
        guard setting.replacedRate == configured.rate.text, setting.replacedBurst == configured.burst else {
            return .configurationChanged(setting)
        }
        return current?.fleetSetting == setting ? .keep : .apply(setting)
    }
}

extension RuntimeOverrides.RateOverride {
    /// The override as the fleet's record holds it.
    var fleetSetting: FleetRuntime.RateSetting {
        FleetRuntime.RateSetting(rate: rate, burst: burst, replacedRate: replacedRate, replacedBurst: replacedBurst)
    }
}
