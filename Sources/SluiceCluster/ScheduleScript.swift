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
        -- KEYS[1]: the queue's schedule
        -- ARGV: count, interval (ns), bound (ns), idle TTL (ms), horizon (ns),
        --       not before (ns from now: a host back from running alone)
        local time = redis.call('TIME')
        local seconds, micros = tonumber(time[1]), tonumber(time[2])
        local state = redis.call('HMGET', KEYS[1], 'epoch', 'tat', 'bound')
        local epoch, tat, previous = tonumber(state[1]), tonumber(state[2]), tonumber(state[3])
        local fresh = not epoch or not tat or not previous
        if fresh then epoch, tat, previous = seconds, 0, 0 end
        if seconds - epoch > 1000000 then
          tat = tat - (seconds - epoch) * 1000000000
          epoch = seconds
        end
        local now = (seconds - epoch) * 1000000000 + micros * 1000
        local count, interval, bound = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local horizon = tonumber(ARGV[5])
        local guard = math.max(0, math.ceil((previous + bound) / 2) - interval)
        local first = math.max(tat + guard, now + tonumber(ARGV[6]))
        -- No block starts more than a horizon ahead, so no instant handed out
        -- is more than a horizon and a block ahead. A schedule that is not
        -- there (a first start, an hour idle, or Redis restarted empty)
        -- therefore starts two horizons on: past every instant handed out before.
        if fresh then
          first = now + 2 * horizon
        elseif first > now + horizon then
          return {0, 0, first - now - horizon}
        end
        local after = first + count * interval
        redis.call('HSET', KEYS[1], 'epoch', epoch, 'tat', after, 'bound', bound)
        redis.call('PEXPIRE', KEYS[1], math.ceil((after - now) / 1000000) + tonumber(ARGV[4]))
        return {first - now, count, guard}
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

    /// The script's answer.
    enum Reply: Equatable, Sendable {
        /// The first instant `offset` ns after Redis read its clock, `count`
        /// instants, after a guard of `guard_` ns.
        case block(offset: UInt64, count: UInt64, guard_: UInt64)
        /// The schedule is booked a horizon ahead: ask again in `retryAfter` ns.
        case full(retryAfter: UInt64)

        init?(_ reply: RESPValue) {
            guard let parts = reply.elements, parts.count == 3,
                  case .integer(let offset) = parts[0], case .integer(let count) = parts[1], case .integer(let third) = parts[2],
                  offset >= 0, count >= 0, third >= 0 else { return nil }
            self = count == 0 ? .full(retryAfter: UInt64(third)) : .block(offset: UInt64(offset), count: UInt64(count), guard_: UInt64(third))
        }
    }
}
