extension RedisConnection {
    /// Runs `script` with `EVALSHA`; on `NOSCRIPT` loads it and runs it once
    /// more (`SCRIPT LOAD` and `EVALSHA` in one round trip), all within one
    /// budget. The script's error replies throw `.server`.
    public func evaluate(_ script: RedisScript, keys: [any RedisArgument] = [], arguments: [any RedisArgument] = [],
                         timeout: Duration? = nil) throws(RedisError) -> RESPValue {
        let budget = CallBudget(timeout ?? options.timeout)
        let call = RedisCommand.evalSHA(script, keys: keys, arguments: arguments)
        let first = run([call], within: budget)[0]
        guard case .failure(.server(let refusal)) = first, refusal.isNoScript else { return try first.get() }
        // NOSCRIPT: Redis does not hold the script, so it did not run; running it again is no replay.
        let again = run([.scriptLoad(script), call], within: budget)
        if case .success(let reply) = again[1] { return reply }
        switch again[0] {
        case .failure(.server(let loadRefused)):
            // A script that does not compile: its error, not EVALSHA's NOSCRIPT.
            throw .server(loadRefused)
        case .success(let loaded) where loaded.string != script.sha1:
            throw .unexpectedReply(command: "SCRIPT LOAD", reply: loaded)
        default:
            return try again[1].get()
        }
    }

    /// Loads `script` into Redis's script cache (`SCRIPT LOAD`), e.g. before a
    /// pipeline of `RedisCommand.evalSHA`.
    public func load(_ script: RedisScript, timeout: Duration? = nil) throws(RedisError) {
        let reply = try send(.scriptLoad(script), timeout: timeout)
        guard reply.string == script.sha1 else { throw .unexpectedReply(command: "SCRIPT LOAD", reply: reply) }
    }
}
