import SluiceCore
import SluicePOSIX
import SluiceRedis

/// What one connection of Sluice's Redis client does against a real server:
/// round trips per second (`PING`, and `EVALSHA` of a per-request GCRA
/// script, the usual Redis limiter's shape), and pipelined commands per
/// second. Medians over several runs; latencies of the `PING` round trips.
public struct RedisBench: Sendable {
    public var endpoint: RedisEndpoint
    public var password: RedisPassword?
    public var seconds: Double = 1
    public var runs = 5
    /// Commands per pipelined write.
    public var depth = 100

    public init(endpoint: RedisEndpoint, password: RedisPassword? = nil) {
        self.endpoint = endpoint
        self.password = password
    }

    /// One request's admission in the usual per-request Redis limiter: read
    /// Redis's clock, move the key's theoretical arrival time on by ARGV[1] µs.
    static let gcra = RedisScript("""
        local now = redis.call('TIME')
        local t = tonumber(now[1]) * 1000000 + tonumber(now[2])
        local tat = tonumber(redis.call('GET', KEYS[1]) or t)
        local next = math.max(tat, t) + tonumber(ARGV[1])
        redis.call('SET', KEYS[1], next)
        return next - t
        """)

    public func run() throws(RedisError) -> RedisBenchReport {
        let redis = RedisConnection(endpoint: endpoint, password: password, options: RedisOptions(timeout: .seconds(2)))
        try redis.connect()
        var report = RedisBenchReport(endpoint: endpoint.description, seconds: seconds, depth: depth)
        for _ in 0..<max(1, runs) {
            var latencies = LatencyHistogram()
            let pings = try measure { () throws(RedisError) in
                let started = MonotonicClock.now()
                _ = try redis.send(RedisCommand("PING"))
                let finished = MonotonicClock.now()
                latencies.record(finished.subtractingSaturated(started))
                return 1
            }
            let scripts = try measure { () throws(RedisError) in
                _ = try redis.evaluate(Self.gcra, keys: ["sluice:bench:gcra"], arguments: [1])
                return 1
            }
            let batch = Array(repeating: RedisCommand("INCR", "sluice:bench:counter"), count: max(1, depth))
            let pipelined = try measure { () throws(RedisError) in
                for result in redis.pipeline(batch) { _ = try result.get() }
                return batch.count
            }
            report.runs.append(RedisBenchReport.Run(roundTrips: pings, scripts: scripts, pipelined: pipelined,
                                                    p50: latencies.value(at: 0.5), p99: latencies.value(at: 0.99)))
        }
        _ = try? redis.send("DEL", "sluice:bench:gcra", "sluice:bench:counter")
        return report
    }

    /// Calls `body` for `seconds`; returns what it counted, per second.
    private func measure(_ body: () throws(RedisError) -> Int) throws(RedisError) -> Double {
        let start = MonotonicClock.now()
        let end = start + UInt64(seconds * 1e9)
        var count = 0
        var now = start
        while now < end {
            count += try body()
            now = MonotonicClock.now()
        }
        return Double(count) / (Double(now.subtractingSaturated(start)) / 1e9)
    }
}

public struct RedisBenchReport: Sendable {
    public struct Run: Sendable {
        /// `PING` round trips per second.
        public var roundTrips: Double
        /// `EVALSHA` of the GCRA script per second.
        public var scripts: Double
        /// Pipelined `INCR`s per second.
        public var pipelined: Double
        /// `PING` round-trip latency, nanoseconds.
        public var p50: UInt64
        public var p99: UInt64
    }

    public var endpoint: String
    public var seconds: Double
    public var depth: Int
    public var runs: [Run] = []

    public var text: String {
        func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        func row(_ label: String, _ values: [Double], _ unit: String) -> String {
            let all = values.map { grouped($0) }.joined(separator: ", ")
            return "  \(label.padding(to: 34))\(grouped(median(values)).leftPadding(to: 11)) \(unit)   (runs: \(all))"
        }
        let microseconds = { (values: [UInt64]) in grouped(median(values.map { Double($0) / 1000 }), decimals: 1) }
        return [
            "sluice bench redis: \(endpoint), one connection, \(runs.count) runs of \(seconds) s each; medians",
            row("round trips (PING)", runs.map(\.roundTrips), "/s"),
            row("round trips (EVALSHA, GCRA script)", runs.map(\.scripts), "/s"),
            row("pipelined INCR, \(depth) per write", runs.map(\.pipelined), "commands/s"),
            "  PING latency p50 / p99:            \(microseconds(runs.map(\.p50))) µs / \(microseconds(runs.map(\.p99))) µs",
        ].joined(separator: "\n")
    }
}

/// `12345.6` → `12,346`; with decimals, `12.3`.
private func grouped(_ value: Double, decimals: Int = 0) -> String {
    guard value.isFinite else { return "-" }
    if decimals > 0 {
        let scale = (0..<decimals).reduce(1) { product, _ in product * 10 }
        let scaled = Int((value * Double(scale)).rounded())
        let fraction = String(scaled % scale)
        return "\(scaled / scale).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
    }
    var digits = String(Int(value.rounded()))
    var groups: [Substring] = []
    while digits.count > 3 {
        groups.insert(Substring(digits.suffix(3)), at: 0)
        digits.removeLast(3)
    }
    return ([Substring(digits)] + groups).joined(separator: ",")
}

extension String {
    fileprivate func padding(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    fileprivate func leftPadding(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
