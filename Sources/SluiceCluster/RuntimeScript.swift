import SluiceRedis

/// The Lua script that writes an operator's change of a queue's runtime
/// settings (`FleetRuntime`) into Redis, atomically: the fields changed, the
/// version bumped, and, for a change that lifts the hold (set-rate, resume,
/// reset), the fleet's hold deleted and `lifts` bumped. Returns the whole
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
        redis.call('HINCRBY', KEYS[1], 'version', 1)
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
