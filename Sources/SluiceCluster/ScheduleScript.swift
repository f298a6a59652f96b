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
/// The key expires a minute after the last instant handed out: an idle
/// fleet leaves nothing behind, and an expired schedule is one whose every
/// instant is long past, so starting afresh admits nothing extra.
enum ScheduleScript {
    static let script = RedisScript("""
        -- KEYS[1]: the queue's schedule; ARGV: count, interval (ns), bound (ns), idle TTL (ms)
        local time = redis.call('TIME')
        local seconds, micros = tonumber(time[1]), tonumber(time[2])
        local state = redis.call('HMGET', KEYS[1], 'epoch', 'tat', 'bound')
        local epoch, tat, previous = tonumber(state[1]), tonumber(state[2]), tonumber(state[3])
        if not epoch or not tat or not previous then epoch, tat, previous = seconds, 0, 0 end
        if seconds - epoch > 1000000 then
          tat = tat - (seconds - epoch) * 1000000000
          epoch = seconds
        end
        local now = (seconds - epoch) * 1000000000 + micros * 1000
        local count, interval, bound = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local guard = math.max(0, math.ceil((previous + bound) / 2) - interval)
        local first = math.max(tat + guard, now)
        local after = first + count * interval
        redis.call('HSET', KEYS[1], 'epoch', epoch, 'tat', after, 'bound', bound)
        redis.call('PEXPIRE', KEYS[1], math.ceil((after - now) / 1000000) + tonumber(ARGV[4]))
        return {first - now, count, guard}
        """)

    /// How long a schedule outlives its last instant, in ms.
    static let idleTTL: UInt64 = 60_000

    /// The script's answer: the first instant `offset` ns after Redis read
    /// its clock, `count` instants, after a guard of `guard` ns.
    struct Reply: Equatable, Sendable {
        let offset: UInt64
        let count: UInt64
        let guard_: UInt64

        init(offset: UInt64, count: UInt64, guard_: UInt64) {
            self.offset = offset
            self.count = count
            self.guard_ = guard_
        }

        init?(_ reply: RESPValue) {
            guard let parts = reply.elements, parts.count == 3,
                  case .integer(let offset) = parts[0], case .integer(let count) = parts[1], case .integer(let guard_) = parts[2],
                  offset >= 0, count > 0, guard_ >= 0 else { return nil }
            self.init(offset: UInt64(offset), count: UInt64(count), guard_: UInt64(guard_))
        }
    }
}
