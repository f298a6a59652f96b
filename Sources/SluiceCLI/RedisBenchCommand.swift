import Foundation
import SluiceBench
import SluiceConfig
import SluiceRedis

/// `sluice bench redis`: the Redis client against a running redis-server.
let benchRedis = Command(
    ["bench", "redis"],
    summary: "Measure the Redis client: round trips and pipelined commands per second",
    usage: """
        sluice bench redis --url URL [--credential NAME] [--seconds S] [--runs K] [--depth N]

          --url URL          redis://[user@]host[:port][/db] or unix:///path/to/redis.sock
          --credential NAME  the password's credential (NAME, NAME_FILE or $CREDENTIALS_DIRECTORY/NAME)
          --seconds S        each measurement's length (default 1)
          --runs K           repeat K times and report medians (default 5)
          --depth N          commands per pipelined write (default 100)

        Measures PING round trips, EVALSHA of a per-request GCRA script, and pipelined
        INCRs on one connection. Writes two keys under sluice:bench: and deletes them.
        """
) { arguments, terminal in
    guard let url = try arguments.option("--url") else { throw UsageError("--url URL is required (e.g. redis://127.0.0.1:6379)") }
    let credential = try arguments.option("--credential")
    let seconds = try arguments.option("--seconds", as: { Double($0).flatMap { $0 > 0 && $0 <= 600 ? $0 : nil } },
                                       expected: "a number of seconds in (0, 600]") ?? 1
    let runs = try arguments.option("--runs", as: { Int($0).flatMap { (1...100).contains($0) ? $0 : nil } },
                                    expected: "a run count in 1…100") ?? 5
    let depth = try arguments.option("--depth", as: { Int($0).flatMap { (1...100_000).contains($0) ? $0 : nil } },
                                     expected: "a pipeline depth in 1…100000") ?? 100
    try arguments.finish()
    let endpoint: RedisEndpoint
    do { endpoint = try RedisEndpoint(parsing: url) } catch { throw UsageError("--url: \(error)") }
    var bench = RedisBench(endpoint: endpoint)
    if let credential {
        let secret = try CredentialSource(name: credential).resolve(environment: ProcessInfo.processInfo.environment, readFile: readSmallFile)
        bench.password = RedisPassword(secret.reveal())
    }
    bench.seconds = seconds
    bench.runs = runs
    bench.depth = depth
    terminal.out(try bench.run().text)
    return ExitCode.success
}
