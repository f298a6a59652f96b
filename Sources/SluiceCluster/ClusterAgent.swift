import Glibc
import SluiceConfig
import SluiceCore
import SluiceLimiter
import SluicePOSIX
import SluiceRedis
import Synchronization

/// The host's agent: reserves blocks of each coordinated queue's one
/// schedule in Redis, sized to what this host's workers wait for, maps them
/// onto this host's clock and publishes them in the segment's grant ledger,
/// where the workers claim them without touching Redis.
///
/// It runs on a thread of its own in the supervisor (which owns the
/// segment); every Redis call is bounded by the coordinator's timeout.
/// Redis slow or down: nothing more is granted (`wait`), or, once the
/// instants held run out, this host grants itself the rate ÷ `maxHosts`
/// (`share`). Never the full local rate.
public final class ClusterAgent: Sendable {
    struct QueueState {
        let handle: QueueHandle
        let key: String
        /// The fleet's hold on the queue and its runtime settings, in Redis.
        let holdKey: String
        let runtimeKey: String
        /// The settings version applied last (nil: not yet read from Redis),
        /// and the `lifts` count it had.
        var version: UInt64?
        var lifts: UInt64?
        /// The segment's push-back as the agent left it at its last look: a
        /// different value is a hold this host's workers set (a 429).
        var seenHold: UInt64 = 0
        /// A hold of this host's to publish, until this instant (0: none).
        var holdToPublish: UInt64 = 0
        /// The fleet's count of rate decreases at the last reply (nil: none yet).
        var decreasesSeen: UInt64?
        /// When the agent last called Redis for this queue.
        var lastCall: UInt64 = 0
        /// Instants the workers claimed and used, at the last look, and when.
        var used: UInt64 = 0
        var sampledAt: UInt64 = 0
        var usedPerSecond: Double = 0
        /// The ready tasks last counted, and the instants used by then: the
        /// backlog now is that count less what was used since.
        var counted: Int?
        var usedWhenCounted: UInt64 = 0
        /// The schedule was booked a horizon ahead: not asked again before this.
        var fullUntil: UInt64 = 0
    }

    struct Loop {
        var queues: [QueueState]
        /// A typical round trip to Redis (a moving average), ns.
        var roundTrip: UInt64 = 1_000_000
        /// After a failed call, the next is not before this instant.
        var quietUntil: UInt64 = 0
        /// When Redis last answered (0: never), on this host's clock.
        var lastAnswer: UInt64 = 0
        /// This host granted itself blocks (`share`) since Redis last answered.
        var shared = false
        /// Redis answered the last call (the status says so too; this copy is the loop's own).
        var up = true
        /// How long the loop sleeps between looks, µs: 1 ms while any queue
        /// is busy, doubling up to `longestIdle` while none is.
        var idle: UInt32 = ClusterAgent.idleLook
    }

    let config: CoordinatorConfig
    let redis: RedisClient
    let log: EventLog
    /// Runtime changes to and from the fleet (nil: none are exchanged).
    let runtime: RuntimeExchange?
    public let status: ClusterStatus
    private let loop: Mutex<Loop>
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<PosixThread?>(nil)
    /// The ready (due) tasks of a queue's spool as last counted (the
    /// supervisor's sampler, once a second); nil while unknown.
    private let backlog: @Sendable (QueueName) -> Int?

    /// How long a failed call keeps the agent from calling again.
    static let pauseAfterFailure: UInt64 = 20_000_000
    /// A host whose granted instants end within two round trips and this
    /// margin (or two intervals) is about to run dry: it reserves whatever its
    /// attempts wait for, before the schedule it continues is past.
    static let dryMargin: UInt64 = 5_000_000
    /// It holds, ahead of need, what it uses in this span at its recent pace
    /// (as far as its ready tasks go) …
    static let lead: UInt64 = 200_000_000
    /// … and calls Redis once it is short of what it uses in this span (at
    /// 2,000/s each block then carries one guard, under 1 ms, per ~100 ms).
    static let batchSpan: UInt64 = 100_000_000
    /// The longest wait before connecting again after failures (the client's
    /// jittered backoff; short, so a host sees Redis back soon).
    static let longestBackoff: UInt64 = 200_000_000
    /// The longest block a host makes alone (`share`).
    static let shareSpan: UInt64 = 100_000_000
    /// The pause between the agent's looks while any queue is busy, µs …
    static let idleLook: UInt32 = 1_000
    /// … and the longest while none is (a first attempt waits at most this
    /// long for the agent to notice it).
    static let longestIdle: UInt32 = 16_000

    /// Makes every queue with a rate coordinated (discarding what an earlier
    /// agent granted). Call before any worker starts: a worker of a queue
    /// that is not coordinated enforces this host's own cell alone.
    public init(config: CoordinatorConfig, identity: HostIdentity, fleet: FleetName, queues: [QueueHandle],
                password: Secret?, log: EventLog, runtime: RuntimeExchange? = nil,
                backlog: @escaping @Sendable (QueueName) -> Int?) {
        self.config = config
        self.runtime = runtime
        self.backlog = backlog
        self.log = log
        status = ClusterStatus(host: identity.description)
        let keys = ClusterKeys(fleet: fleet)
        let options = RedisOptions(timeout: .nanoseconds(Int64(config.callTimeout)),
                                   backoff: ReconnectBackoff(initial: .milliseconds(10), maximum: .nanoseconds(Int64(Self.longestBackoff))),
                                   clientName: "sluice:\(fleet.rawValue):\(identity.name)")
        redis = RedisClient(endpoint: config.redis, password: password.map { RedisPassword($0.reveal()) }, options: options)
        for queue in queues { queue.setCoordinated(queue.limits.rate.interval > 0) }
        loop = Mutex(Loop(queues: queues.map {
            QueueState(handle: $0, key: keys.schedule($0.name), holdKey: keys.hold($0.name), runtimeKey: keys.runtime($0.name),
                       seenHold: $0.pushedBackUntil)
        }))
    }

    /// Starts the agent's thread.
    public func start() {
        log.info("coordinator.started", ("redis", "\(config.redis)"), ("host", status.snapshot.host),
                 ("on_unavailable", describe(config.onUnavailable)))
        thread.withLock { $0 = PosixThread.start { [self] in run() } }
    }

    /// Stops the thread (after its call in progress, at most the timeout)
    /// and closes the connection. Instants already granted stay usable.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        thread.withLock { thread in
            thread?.join()
            thread = nil
        }
        redis.close()
    }

    private func run() {
        while !stopping.load(ordering: .acquiring) {
            let pause = loop.withLock { loop -> UInt32 in
                writeRuntimeChanges(&loop)
                let busy = (0..<loop.queues.count).reduce(false) { busy, index in tick(&loop, index) || busy }
                loop.idle = busy ? Self.idleLook : min(loop.idle * 2, Self.longestIdle)
                return loop.idle
            }
            usleep(pause)
        }
    }

    /// One look at one queue; true if it is busy: attempts wait, instants
    /// are held or being used, or it called Redis.
    private func tick(_ loop: inout Loop, _ index: Int) -> Bool {
        let handle = loop.queues[index].handle
        let limits = handle.limits
        let now = MonotonicClock.now()
        noteLocalHold(&loop.queues[index], now: now)
        // Behind on the settings, or a hold to publish: nothing is reserved
        // before the fleet has heard and been heard.
        if loop.up, loop.queues[index].version == nil || loop.queues[index].holdToPublish > now {
            return synchronise(&loop, index, now: now)
        }
        // A full ring (32 blocks still to come) takes no block: one reserved now would pass unused.
        guard handle.isCoordinated, !limits.paused, limits.rate.interval > 0, handle.canPublishGrant else {
            return synchronise(&loop, index, now: now)
        }
        let interval = limits.rate.interval
        sampleUse(&loop.queues[index], now: now)
        let waiting = handle.attemptsWaitingForGrants
        let ahead = handle.grantsAhead(now: now)
        let busy = waiting > 0 || ahead.until > now || loop.queues[index].usedPerSecond > 0.5
        let dry = ahead.until <= now &+ loop.roundTrip &* 2 &+ max(Self.dryMargin, interval &* 2)
        let pace = loop.queues[index].usedPerSecond
        let batch = BlockPlan.batch(usedPerSecond: pace, span: Self.batchSpan, interval: interval)
        let count = BlockPlan.instantsToReserve(waiting: waiting, backlog: readyBacklog(&loop.queues[index]),
                                                paced: BlockPlan.paced(usedPerSecond: pace, span: Self.lead), ahead: ahead.count,
                                                dry: dry, batch: batch, interval: interval)
        if !loop.up, case .share(let maxHosts) = config.onUnavailable {
            // Every instant Redis handed out, to any host, is past two
            // horizons after its last answer: only then may hosts run alone.
            let alone = loop.lastAnswer &+ 2 &* ScheduleScript.horizon(interval: interval, callTimeout: config.callTimeout)
            return whileDown(&loop, index, count: count, dry: dry && now >= alone, interval: interval, maxHosts: maxHosts,
                             after: max(ahead.until, alone), now: now) || busy
        }
        guard count > 0, now >= loop.queues[index].fullUntil, now >= loop.quietUntil else {
            return synchronise(&loop, index, now: now) || busy
        }
        reserve(&loop, index, count: count, interval: interval)
        return true
    }

    /// `share` while Redis is down: a block of its own at the rate ÷
    /// `maxHosts` whenever the host is about to run dry, and, between them,
    /// a call to see whether Redis is back (each at most the timeout, while
    /// the block keeps the workers going).
    private func whileDown(_ loop: inout Loop, _ index: Int, count: UInt64, dry: Bool, interval: UInt64, maxHosts: Int,
                           after: UInt64, now: UInt64) -> Bool {
        if dry, count > 0 {
            grantShare(loop.queues[index].handle, count: count, interval: interval, maxHosts: maxHosts, after: after, now: now)
            loop.shared = true
            return true
        }
        guard now >= loop.quietUntil else { return false }
        reserve(&loop, index, count: max(count, 1), interval: interval)
        return true
    }

    /// The queue's ready tasks now, as far as the agent knows: the last
    /// count less the instants used since (never more than there are, so
    /// instants reserved ahead of need have tasks to use them).
    private func readyBacklog(_ queue: inout QueueState) -> Int {
        let used = queue.handle.grantsClaimed &- queue.handle.grantsPassedUnused
        if let count = backlog(queue.handle.name), count != queue.counted {
            (queue.counted, queue.usedWhenCounted) = (count, used)
        }
        guard let counted = queue.counted else { return 0 }
        return max(0, counted - Int(clamping: used &- queue.usedWhenCounted))
    }

    /// The workers' recent use of granted instants, per second (a moving average over ~100 ms looks).
    private func sampleUse(_ queue: inout QueueState, now: UInt64) {
        let used = queue.handle.grantsClaimed &- queue.handle.grantsPassedUnused
        guard queue.sampledAt != 0 else {
            (queue.used, queue.sampledAt) = (used, now)
            return
        }
        let elapsed = now - queue.sampledAt
        guard elapsed >= 50_000_000 else { return }
        let rate = Double(used &- queue.used) * 1e9 / Double(elapsed)
        queue.usedPerSecond = queue.usedPerSecond * 0.5 + rate * 0.5
        (queue.used, queue.sampledAt) = (used, now)
    }

    private func reserve(_ loop: inout Loop, _ index: Int, count: UInt64, interval: UInt64) {
        let queue = loop.queues[index]
        let bound = BlockPlan.bound(interval: interval, typicalRoundTrip: loop.roundTrip, callTimeout: config.callTimeout, count: count)
        // Back from `share`: the other hosts may still send alone until they
        // see Redis again (a look every timeout + pause, after a reconnect
        // backoff) and one block on.
        let notBefore = loop.shared
            ? Self.shareSpan &+ Self.longestBackoff &+ 2 &* (config.callTimeout &+ Self.pauseAfterFailure) : 0
        let sentAt = MonotonicClock.now()
        loop.queues[index].lastCall = sentAt
        let reply: ScheduleScript.Reply
        let decreases = runtime?.takeDecreases(queue.handle.name) ?? 0
        do {
            let arguments = ScheduleScript.arguments(count: count, interval: interval, bound: bound,
                                                     horizon: ScheduleScript.horizon(interval: interval, callTimeout: config.callTimeout),
                                                     notBefore: notBefore, hold: holdToPublish(queue, now: sentAt),
                                                     version: queue.version ?? .max, decreases: decreases)
            reply = try runSchedule(for: queue, arguments)
        } catch {
            runtime?.putBackDecreases(queue.handle.name, decreases)
            failed(&loop, error)
            return
        }
        let receivedAt = MonotonicClock.now()
        (loop.lastAnswer, loop.shared, loop.up) = (receivedAt, false, true)
        heard(&loop.queues[index], reply, sentAt: sentAt, receivedAt: receivedAt, decreasesSent: decreases)
        guard case .block(let offset, let granted, _) = reply.schedule else {
            if case .full(let retryAfter) = reply.schedule { loop.queues[index].fullUntil = receivedAt &+ max(retryAfter, 1_000_000) }
            status.update { $0.redisCalls += 1; $0.up = true; $0.reason = nil }
            return
        }
        let roundTrip = receivedAt - sentAt
        loop.roundTrip = (loop.roundTrip * 7 + roundTrip) / 8
        let wasDown = !status.snapshot.up
        guard let usable = BlockPlan.trimmed(count: granted, interval: interval, roundTrip: roundTrip, bound: bound) else {
            // Its instants may land further from where Redis meant them than
            // the guards allow, all of them: they pass unused.
            status.update { $0.redisCalls += 1; $0.blocksDiscarded += 1; $0.lastRoundTrip = roundTrip; $0.up = true; $0.reason = nil }
            log.debug("coordinator.block_discarded", ("queue", queue.handle.name.rawValue), ("round_trip_us", "\(roundTrip / 1_000)"),
                      ("bound_us", "\(bound / 1_000)"))
            return
        }
        let first = BlockPlan.firstInstant(sentAt: sentAt, receivedAt: receivedAt, offset: offset) &+ usable.skip &* interval
        let published = queue.handle.publishGrant(firstInstant: first, count: usable.count, interval: interval)
        if usable.count < granted { status.update { $0.instantsTrimmed += granted - usable.count } }
        status.update {
            $0.redisCalls += 1
            $0.lastRoundTrip = roundTrip
            $0.up = true
            $0.reason = nil
            if published {
                $0.blocksGranted += 1
                $0.instantsGranted += usable.count
            }
        }
        if wasDown { log.info("coordinator.up", ("redis", "\(config.redis)")) }
    }

    func failed(_ loop: inout Loop, _ error: any Error) {
        loop.quietUntil = MonotonicClock.now() &+ Self.pauseAfterFailure
        loop.up = false
        let effect = switch config.onUnavailable {
        case .wait: "nothing is admitted beyond the instants already reserved; tasks wait in the spool"
        case .share(let maxHosts): "once the instants reserved are used, this host sends at the rate ÷ \(maxHosts) (onUnavailable: share)"
        }
        let reason = "coordinator: Redis at \(config.redis) cannot be used (\(error)); \(effect)"
        let wasUp = status.snapshot.up
        status.update {
            $0.redisCalls += 1
            $0.failedCalls += 1
            $0.up = false
            $0.reason = reason
        }
        if wasUp { log.warn("coordinator.down", ("redis", "\(config.redis)"), ("error", "\(error)"), ("effect", effect)) }
    }

    /// `share`: a block this host grants itself at the rate ÷ `maxHosts`, after what it holds.
    private func grantShare(_ handle: QueueHandle, count: UInt64, interval: UInt64, maxHosts: Int, after: UInt64, now: UInt64) {
        let (slow, overflow) = interval.multipliedReportingOverflow(by: UInt64(maxHosts))
        guard !overflow else { return }
        // At most 100 ms of it: what may overlap the schedule once Redis is back.
        let shared = min(count, max(1, Self.shareSpan / slow))
        guard handle.publishGrant(firstInstant: max(now, after), count: shared, interval: slow) else { return }
        status.update {
            $0.blocksShared += 1
            $0.instantsShared += shared
        }
    }

    private func describe(_ choice: CoordinatorConfig.OnUnavailable) -> String {
        switch choice {
        case .wait: "wait"
        case .share(let maxHosts): "share (rate ÷ \(maxHosts))"
        }
    }
}
