import SluiceRedis

/// The Lua script that writes an operator's change of a queue's runtime
/// settings (`FleetRuntime`) into Redis, atomically: the fields changed, the
/// version moved on, and, for a change that lifts the hold (set-rate, resume,
/// reset), the fleet's hold deleted and `lifts` bumped.
///
/// The version is Redis's clock in µs at the write (or the last version + 1,
/// if more), not a count: hosts compare versions for equality, and a count
/// would start again at 1 after Redis lost the record, so a host that knew
/// an old "1" would miss the new one. Redis's `TIME` moves on across a
/// restart, and µs stay exact in Lua's doubles. Returns the whole
/// record as it now stands, so the writer applies what other hosts changed
/// in the same record (a pause from elsewhere survives a set-rate here).
///
/// The record has no expiry: a runtime change lasts until the next one, and
/// a host started a month later still finds it.
enum RuntimeScript {
    static let script = RedisScript("""
        -- KEYS[1]: the queue's runtime settings; KEYS[2]: the fleet's hold on it
        -- ARGV: rate ('' unchanged), burst, replaced rate, replaced burst,
        --       paused ('' unchanged, '0', '1'), lifts the hold ('0', '1'), host
        if ARGV[1] ~= '' then
          redis.call('HSET', KEYS[1], 'rate', ARGV[1], 'burst', ARGV[2], 'replacedRate', ARGV[3], 'replacedBurst', ARGV[4])
        end
        if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'paused', ARGV[5]) end
        if ARGV[6] == '1' then
          redis.call('HINCRBY', KEYS[1], 'lifts', 1)
          redis.call('DEL', KEYS[2])
        end
        redis.call('HSET', KEYS[1], 'changedBy', ARGV[7])
        local time = redis.call('TIME')
        local raw = redis.call('HGET', KEYS[1], 'version')
        local last = raw and tonumber(raw) or 0
        redis.call('HSET', KEYS[1], 'version', math.max(last + 1, tonumber(time[1]) * 1000000 + tonumber(time[2])))
        local settings = redis.call('HMGET', KEYS[1], 'version', 'rate', 'burst', 'replacedRate', 'replacedBurst', 'paused', 'lifts')
        for i = 1, 7 do settings[i] = settings[i] or '' end
        return settings
        """)

    /// The script's arguments for `change`, made by `host`.
    static func arguments(_ change: RuntimeChange, host: String) -> [String] {
        [change.rate?.rate.text ?? "", change.rate.map { "\($0.burst)" } ?? "", change.rate?.replacedRate ?? "",
         change.rate.map { "\($0.replacedBurst)" } ?? "", change.paused.map { $0 ? "1" : "0" } ?? "", change.liftsHold ? "1" : "0", host]
    }

    /// The record the script returned; nil if it does not parse.
    static func record(_ reply: RESPValue) -> FleetRuntime? {
        guard let fields = reply.elements, fields.count == 7 else { return nil }
        return FleetRuntime(fields[...])
    }
}
