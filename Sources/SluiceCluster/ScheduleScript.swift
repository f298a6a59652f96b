import SluiceRedis

/// The Lua script that hands out blocks of a queue's one schedule, run by
/// Redis alone (a script runs atomically), with Redis's own clock.
///
/// The schedule is one hash per queue: `tat` (the instant after the last
/// block handed out), `epoch` (the Redis second `tat` counts from, moved on
/// every ~11 days so every number stays an exact integer below 2⁵³ in Lua's
/// doubles) and `bound` (the mapping bound its last block was taken with).
/// A block of `count` instants, `interval` ns apart, starts at
/// max(tat + guard, now): the guard leaves room for the previous block and
/// this one to be mapped onto their hosts' clocks with errors of opposite
/// signs (each at most half its round trip, which its host bounds); see
/// model/hosts.pml. What crosses the wire are durations: the caller learns
/// the first instant as "so many ns after Redis read its clock", never an
/// instant, so the hosts' clocks need not agree with Redis's or each other's.
///
/// No block starts more than a horizon (a second) ahead of Redis's now, and
/// a schedule Redis does not hold starts two horizons on: so when Redis
/// restarts empty, the new schedule begins after every instant the hosts
/// still hold from the old one (nothing extra, at the cost of a two-second
/// pause, which a first start pays too). The key expires an hour after the
/// last instant handed out: an idle fleet leaves nothing behind.
enum ScheduleScript {
    static let script = RedisScript("""
        -- KEYS[1]: the queue's schedule; KEYS[2]: the fleet's hold on it;
        -- KEYS[3]: its runtime settings (see FleetRuntime)
        -- ARGV: count (0: no block, only the hold and the settings), interval (ns),
        --       bound (ns), idle TTL (ms), horizon (ns), not before (ns from now:
        --       a host back from running alone), hold (ns from now: a 429 this
        --       host got; 0: none), the settings version the host applied last,
        --       the 429 decreases this host's learning made since its last call
        -- The answer always ends with the fleet's count of such decreases.
        local time = redis.call('TIME')
        local seconds, micros = tonumber(time[1]), tonumber(time[2])
        -- The hold: an instant on Redis's clock in microseconds (exact in a
        -- double for ~285 years), raised, never lowered, by hosts told to wait.
        local nowMicros = seconds * 1000000 + micros
        local raw = redis.call('GET', KEYS[2])
        local held = raw and tonumber(raw) or 0
        local hold = tonumber(ARGV[7])
        if hold > 0 and nowMicros + math.ceil(hold / 1000) > held then
          held = nowMicros + math.ceil(hold / 1000)
          redis.call('SET', KEYS[2], held, 'PX', math.ceil(hold / 1000000) + 1000)
        end
        local left = 0
        if held > nowMicros then left = (held - nowMicros) * 1000 end
        local decreases = tonumber(ARGV[9])
        if decreases > 0 then
          decreases = redis.call('HINCRBY', KEYS[3], 'decreases', decreases)
        else
          decreases = tonumber(redis.call('HGET', KEYS[3], 'decreases')) or 0
        end
        local settings = redis.call('HMGET', KEYS[3], 'version', 'rate', 'burst', 'replacedRate', 'replacedBurst', 'paused', 'lifts')
        local version = tonumber(settings[1]) or 0
        local answer = {0, 0, 0, left, version}
        -- A host behind on the settings gets them and no block: it reserves
        -- again once it applied them, so no block is taken at a rate or in a
        -- state no longer in force.
        if version ~= tonumber(ARGV[8]) then
          for i = 2, 7 do answer[i + 4] = settings[i] or '' end
          answer[12] = decreases
          return answer
        end
        local count = tonumber(ARGV[1])
        if count == 0 then
          answer[6] = decreases
          return answer
        end
        local state = redis.call('HMGET', KEYS[1], 'epoch', 'tat', 'bound')
        local epoch, tat, previous = tonumber(state[1]), tonumber(state[2]), tonumber(state[3])
        local fresh = not epoch or not tat or not previous
        if fresh then epoch, tat, previous = seconds, 0, 0 end
        if seconds - epoch > 1000000 then
          tat = tat - (seconds - epoch) * 1000000000
          epoch = seconds
        end
        local now = (seconds - epoch) * 1000000000 + micros * 1000
        local interval, bound = tonumber(ARGV[2]), tonumber(ARGV[3])
        local horizon = tonumber(ARGV[5])
        -- Held beyond the horizon: no block until the hold is within it.
        if left > horizon then
          answer[1], answer[2], answer[6] = 2, left - horizon, decreases
          return answer
        end
        local guard = math.max(0, math.ceil((previous + bound) / 2) - interval)
        local first = math.max(tat + guard, now + tonumber(ARGV[6]), now + left)
        -- No block starts more than a horizon ahead, so no instant handed out
        -- is more than a horizon and a block ahead. A schedule that is not
        -- there (a first start, an hour idle, or Redis restarted empty)
        -- therefore starts two horizons on: past every instant handed out before.
        if fresh then
          first = now + 2 * horizon
        elseif first > now + horizon then
          answer[1], answer[2], answer[6] = 2, first - now - horizon, decreases
          return answer
        end
        local after = first + count * interval
        redis.call('HSET', KEYS[1], 'epoch', epoch, 'tat', after, 'bound', bound)
        redis.call('PEXPIRE', KEYS[1], math.ceil((after - now) / 1000000) + tonumber(ARGV[4]))
        answer[1], answer[2], answer[3] = 1, first - now, count
        answer[6], answer[7] = guard, decreases
        return answer
        """)

    /// How long a schedule outlives its last instant, in ms: an hour, so a
    /// queue idle for less continues its schedule (a schedule started afresh
    /// waits two horizons).
    static let idleTTL: UInt64 = 3_600_000

    /// How far ahead of Redis's now a block may start: a second, two
    /// intervals of a slower queue, or two call timeouts, whichever is
    /// longest; so a horizon covers a block (at most a quarter second, or one
    /// interval) and its mapping error (half a round trip, at most a timeout)
    /// on top of it, and two horizons cover every instant handed out.
    static func horizon(interval: UInt64, callTimeout: UInt64) -> UInt64 {
        let (twice, overflow) = interval.multipliedReportingOverflow(by: 2)
        return max(1_000_000_000, overflow ? .max / 8 : twice, callTimeout.multipliedReportingOverflow(by: 2).partialValue)
    }

    /// The script's answer: `{kind, a, b, hold left, version, …}`; kind 1
    /// a block (a = offset, b = count, then its guard), 2 the schedule is full
    /// (a = retry after), 0 no block (none asked, or the settings first);
    /// the settings' fields follow when the version is not the one the host
    /// said it applied; last, the fleet's count of rate decreases (429s).
    struct Reply: Equatable, Sendable {
        enum Schedule: Equatable, Sendable {
            /// The first instant `offset` ns after Redis read its clock,
            /// `count` instants, after a guard of `guard_` ns.
            case block(offset: UInt64, count: UInt64, guard_: UInt64)
            /// The schedule is booked (or held) a horizon ahead: ask again in `retryAfter` ns.
            case full(retryAfter: UInt64)
            /// No block was asked for, or the host must apply the settings first.
            case none
        }

        var schedule: Schedule
        /// How long the fleet's hold on the queue lasts from when Redis read its clock, ns (0: not held).
        var holdLeft: UInt64
        /// The settings' version in Redis.
        var version: UInt64
        /// The settings, when their version is not the one the host applied last.
        var runtime: FleetRuntime?
        /// The settings' version moved but they do not read (another program
        /// wrote them): nothing to apply; the host skips that version.
        var unreadableSettings = false
        /// How many times the hosts' learning lowered the queue's rate after
        /// a 429, fleet-wide, ever (`RateLearner.rateLimited`): a host that sees
        /// it grow by more than its own lowers its rate too.
        var decreases: UInt64 = 0

        init(schedule: Schedule, holdLeft: UInt64 = 0, version: UInt64 = 0, runtime: FleetRuntime? = nil, decreases: UInt64 = 0) {
            self.schedule = schedule
            self.holdLeft = holdLeft
            self.version = version
            self.runtime = runtime
            self.decreases = decreases
        }

        init?(_ reply: RESPValue) {
            guard let all = reply.elements, let last = all.last?.integer, last >= 0 else { return nil }
            decreases = UInt64(last)
            let parts = all.dropLast()
            guard parts.count == 5 || parts.count == 6 || parts.count == 11,
                  let numbers = Optional(parts.prefix(5).compactMap(\.integer)), numbers.count == 5, numbers.allSatisfy({ $0 >= 0 })
            else { return nil }
            let (kind, a, b) = (numbers[0], UInt64(numbers[1]), UInt64(numbers[2]))
            holdLeft = UInt64(numbers[3])
            version = UInt64(numbers[4])
            switch (kind, parts.count) {
            case (1, 6):
                guard let guard_ = parts[5].integer, guard_ >= 0, b > 0 else { return nil }
                schedule = .block(offset: a, count: b, guard_: UInt64(guard_))
            case (2, 5): schedule = .full(retryAfter: a)
            case (0, 5): schedule = .none
            case (0, 11):
                schedule = .none
                runtime = FleetRuntime(parts[4...])
                unreadableSettings = runtime == nil
            default: return nil
            }
        }
    }

    /// The script's arguments, in order.
    static func arguments(count: UInt64, interval: UInt64, bound: UInt64, horizon: UInt64, notBefore: UInt64,
                          hold: UInt64, version: UInt64, decreases: UInt64 = 0) -> [UInt64] {
        [count, interval, bound, idleTTL, horizon, notBefore, hold, version, decreases]
    }
}
