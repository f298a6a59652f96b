import SluiceCore
import SluiceLimiter
import SluicePOSIX
import SluiceRedis

/// What the agent carries between this host and the rest of the fleet
/// besides blocks: holds (a 429's push-back) and runtime settings (set-rate,
/// pause, resume), both on the calls it already makes (`ScheduleScript`),
/// plus one call per queue every `syncSpan` while it makes none.
///
/// Instants never cross the wire: a hold goes out as "for D ns from now",
/// which the script turns into an instant on Redis's clock, and comes back
/// as "for D ns from when Redis read its clock", which this host places
/// after the reply arrived (the latest Redis could have read it), so a hold
/// only ever lengthens on its way, by at most a round trip.
extension ClusterAgent {
    /// A queue the agent has not called Redis about for this long is
    /// looked at anyway (a host idle on it still learns a change or a hold
    /// within this and a round trip).
    static let syncSpan: UInt64 = 500_000_000

    /// Notes a hold this host's workers set since the agent's last look (the
    /// push-back word moved, and not by the agent), to publish it.
    func noteLocalHold(_ queue: inout QueueState, now: UInt64) {
        let current = queue.handle.pushedBackUntil
        guard current != queue.seenHold else { return }
        queue.seenHold = current
        if current > now { queue.holdToPublish = max(queue.holdToPublish, current) }
    }

    /// The hold to publish with a call sent at `now`, as a duration (0: none).
    func holdToPublish(_ queue: QueueState, now: UInt64) -> UInt64 {
        queue.holdToPublish > now ? queue.holdToPublish - now : 0
    }

    /// A call with no block (count 0) when the queue is behind on the
    /// settings, has a hold to publish, or was not called about for
    /// `syncSpan`. Never busy: it does not keep the agent's looks at 1 ms.
    func synchronise(_ loop: inout Loop, _ index: Int, now: UInt64) -> Bool {
        let queue = loop.queues[index]
        let due = queue.version == nil || queue.holdToPublish > now || now >= queue.lastCall &+ Self.syncSpan
            || runtime?.hasDecreases(queue.handle.name) == true
        guard due, now >= loop.quietUntil else { return false }
        loop.queues[index].lastCall = now
        let reply: ScheduleScript.Reply
        let decreases = runtime?.takeDecreases(queue.handle.name) ?? 0
        do {
            let arguments = ScheduleScript.arguments(count: 0, interval: 0, bound: 0, horizon: 0, notBefore: 0,
                                                     hold: holdToPublish(queue, now: now), version: queue.version ?? .max,
                                                     decreases: decreases)
            reply = try runSchedule(for: queue, arguments)
        } catch {
            runtime?.putBackDecreases(queue.handle.name, decreases)
            failed(&loop, error)
            return false
        }
        let receivedAt = MonotonicClock.now()
        let wasDown = !status.snapshot.up
        (loop.lastAnswer, loop.up) = (receivedAt, true)
        status.update { $0.redisCalls += 1; $0.up = true; $0.reason = nil }
        if wasDown { log.info("coordinator.up", ("redis", "\(config.redis)")) }
        heard(&loop.queues[index], reply, sentAt: now, receivedAt: receivedAt, decreasesSent: decreases)
        return false
    }

    /// What a reply of the schedule script says besides its block: the
    /// hold this host sent is published; settings another host changed are
    /// applied, then the fleet's hold; another host's rate decreases (429s)
    /// lower this host's rate too.
    func heard(_ queue: inout QueueState, _ reply: ScheduleScript.Reply, sentAt: UInt64, receivedAt: UInt64, decreasesSent: UInt64 = 0) {
        heardDecreases(&queue, reply.decreases, sent: decreasesSent)
        if queue.holdToPublish > sentAt {
            status.update { $0.holdsPublished += 1 }
            log.info("coordinator.hold_published", ("queue", queue.handle.name.rawValue),
                     ("for_ms", "\((queue.holdToPublish - sentAt) / 1_000_000)"))
        }
        queue.holdToPublish = 0
        if let record = reply.runtime {
            applyRecord(&queue, record, liftsHold: queue.lifts != nil && queue.lifts != record.lifts)
        } else if reply.unreadableSettings {
            // Blocking this queue's blocks until someone fixes Redis would stop
            // the fleet; the configuration and the overrides stay in force.
            log.error("coordinator.settings_unreadable", ("queue", queue.handle.name.rawValue), ("version", "\(reply.version)"),
                      ("effect", "not applied; this host keeps its settings"), ("fix", "the next set-rate, pause or resume writes them anew"))
            queue.version = reply.version
        }
        applyHold(&queue, left: reply.holdLeft, receivedAt: receivedAt)
    }

    /// The fleet's count of rate decreases after this call (which added
    /// `sent` of this host's): grown by more than that since the last
    /// reply, another host's learning lowered the rate, and this host's
    /// does too (once: the learner takes one decrease per second however
    /// many 429s came together). The first reply only sets the count.
    private func heardDecreases(_ queue: inout QueueState, _ count: UInt64, sent: UInt64) {
        defer { queue.decreasesSeen = count }
        guard let seen = queue.decreasesSeen, count > seen &+ sent else { return }
        status.update { $0.decreasesApplied += 1 }
        log.info("coordinator.decrease_applied", ("queue", queue.handle.name.rawValue), ("fleet_decreases", "\(count)"))
        runtime?.applyDecrease(queue.handle.name)
    }

    /// The fleet's hold, `left` ns from when Redis read its clock, placed at
    /// the latest instant that can be on this host's clock: the reply's
    /// arrival. It takes the path of a local 429: the segment's push-back,
    /// which every reservation honours and which makes every booking not yet
    /// started book again (`Worker.mustBookAgain`), so granted instants
    /// inside the hold pass unused.
    private func applyHold(_ queue: inout QueueState, left: UInt64, receivedAt: UInt64) {
        // A change of this host's that lifts the hold is still to be written:
        // the hold read is the one it lifts.
        guard left > 0, runtime?.isPending(queue.handle.name) != true else { return }
        let until = receivedAt &+ left
        let before = queue.handle.pushedBackUntil
        guard until > before else { return }
        queue.handle.pushBack(until: until, counting: false)
        queue.seenHold = until
        if before <= receivedAt {
            status.update { $0.holdsApplied += 1 }
            log.info("coordinator.hold_applied", ("queue", queue.handle.name.rawValue), ("for_ms", "\(left / 1_000_000)"))
        }
    }

    /// Applies a settings record read from Redis (`liftsHold`: another host
    /// lifted the fleet's hold since the record applied last; `own`: the one
    /// this host just wrote). Once applied, the host is up to date with its
    /// version; not applied (a change of this host's waits to be written),
    /// it asks again.
    func applyRecord(_ queue: inout QueueState, _ record: FleetRuntime, liftsHold lifts: Bool, own: Bool = false) {
        guard let runtime else {
            // Nothing on this host applies settings (an agent on its own): it follows the schedule only.
            queue.version = record.version
            return
        }
        guard runtime.apply(queue.handle.name, record, liftsHold: lifts) else { return }
        if queue.version != nil, queue.version != record.version, !own {
            log.info("coordinator.settings_applied", ("queue", queue.handle.name.rawValue), ("version", "\(record.version)"),
                     ("rate", record.rate.map { "\($0.rate.text) burst \($0.burst)" } ?? "configured"),
                     ("paused", record.paused.map { "\($0)" } ?? "unset"), ("lifts_hold", "\(lifts)"))
            status.update { $0.settingsApplied += 1 }
        }
        (queue.version, queue.lifts, queue.fullUntil) = (record.version, record.lifts, 0)
        if lifts { queue.seenHold = queue.handle.pushedBackUntil }
    }

    /// Writes the changes made on this host since the last look to Redis,
    /// each bumping its queue's version; a change Redis did not take is put
    /// back, with every one after it, to be written once Redis answers.
    func writeRuntimeChanges(_ loop: inout Loop) {
        guard let runtime, MonotonicClock.now() >= loop.quietUntil else { return }
        let changes = Array(runtime.take())
        for (position, (name, change)) in changes.enumerated() {
            guard let index = loop.queues.firstIndex(where: { $0.handle.name == name }) else { continue }
            let queue = loop.queues[index]
            do {
                let reply = try redis.evaluate(RuntimeScript.script, keys: [queue.runtimeKey, queue.holdKey],
                                               arguments: RuntimeScript.arguments(change, host: status.snapshot.host))
                status.update { $0.redisCalls += 1; $0.settingsWritten += 1 }
                if change.liftsHold {
                    // The fleet's hold is gone from Redis; one read back from it
                    // while the change waited to be written goes too.
                    queue.handle.clearPushBack()
                    loop.queues[index].seenHold = queue.handle.pushedBackUntil
                    loop.queues[index].holdToPublish = 0
                }
                guard let record = RuntimeScript.record(reply) else {
                    // Written, but the record as a whole does not read: the
                    // next look reads its version and skips it (see `heard`).
                    log.error("coordinator.settings_unreadable", ("queue", name.rawValue), ("effect", "written; the record does not read back"))
                    continue
                }
                log.info("coordinator.settings_written", ("queue", name.rawValue), ("version", "\(record.version)"))
                // Another host lifted the hold too since this host's last record.
                let mine: UInt64 = change.liftsHold ? 1 : 0
                let others = queue.lifts.map { record.lifts > $0 &+ mine } ?? false
                applyRecord(&loop.queues[index], record, liftsHold: others, own: true)
            } catch {
                for (name, change) in changes[position...] { runtime.putBack(name, change) }
                failed(&loop, error)
                return
            }
        }
    }

    /// One call of the schedule script for `queue` (its schedule, the
    /// fleet's hold and runtime record), its reply parsed.
    func runSchedule(for queue: QueueState, _ arguments: [UInt64]) throws -> ScheduleScript.Reply {
        let answer = try redis.evaluate(ScheduleScript.script, keys: [queue.key, queue.holdKey, queue.runtimeKey], arguments: arguments)
        guard let reply = ScheduleScript.Reply(answer) else {
            throw RedisError.unexpectedReply(command: "EVALSHA (schedule)", reply: answer)
        }
        return reply
    }
}
