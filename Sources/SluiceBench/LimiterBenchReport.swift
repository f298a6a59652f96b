import Foundation
import SluiceLimiter

/// What `sluice bench limiter` measured, printed as text or one JSON object.
public struct LimiterBenchReport: Encodable, Sendable {
    public let processes: Int
    public let seconds: Double
    public let paced: Bool
    /// "bare-cas" when this measured the CAS ceiling instead of the limiter.
    public var baseline: String?
    /// How many runs this report combines (medians; worst windows).
    public var runs = 1
    public var opsPerSecRuns: [Double]?
    public var nsP50Runs: [UInt64]?
    public var achievedRatioRuns: [Double]?
    // Unpaced
    public var opsPerSec: Double?
    public var nsP50: UInt64?
    public var nsP99: UInt64?
    public var timerOverheadNs: UInt64?
    // Paced
    public var rate: Double?
    public var burst: UInt64?
    public var starts: Int?
    public var achievedRate: Double?
    public var achievedRatio: Double?
    public var maxIn1s: Int?
    public var allowedIn1s: Int?
    public var maxIn1sActual: Int?
    public var maxIn100ms: Int?
    public var allowedIn100ms: Int?
    public var violations: Int?
    public var wakeLateP99Ns: UInt64?
    var counters: QueueCounters?

    enum CodingKeys: String, CodingKey {
        case processes, seconds, paced, rate, burst, starts, violations, runs, baseline
        case opsPerSecRuns = "ops_per_sec_runs", nsP50Runs = "ns_p50_runs", achievedRatioRuns = "achieved_ratio_runs"
        case opsPerSec = "ops_per_sec", nsP50 = "ns_p50", nsP99 = "ns_p99", timerOverheadNs = "timer_overhead_ns"
        case achievedRate = "achieved_rate", achievedRatio = "achieved_ratio"
        case maxIn1s = "max_in_1s", allowedIn1s = "allowed_in_1s"
        case maxIn1sActual = "max_in_1s_actual", maxIn100ms = "max_in_100ms", allowedIn100ms = "allowed_in_100ms", wakeLateP99Ns = "wake_late_p99_ns"
    }

    mutating func addUnpaced(outputs: [String]) {
        var operations = 0.0
        var overheads: [UInt64] = []
        var latencies = LatencyHistogram()
        for output in outputs {
            for line in output.split(separator: "\n") {
                let fields = line.split(separator: " ")
                switch fields.first {
                case "ops": if let count = Double(fields[1]), let elapsed = Double(fields[2]) { operations += count / (elapsed / 1e9) }
                case "timer": overheads.append(UInt64(fields[1]) ?? 0)
                case "lat": latencies.add(line: line)
                default: break
                }
            }
        }
        opsPerSec = operations
        guard !overheads.isEmpty else { return } // the bare-CAS baseline times no single call
        let overhead = overheads.sorted()[overheads.count / 2]
        timerOverheadNs = overhead
        nsP50 = latencies.value(at: 0.5) - min(overhead, latencies.value(at: 0.5))
        nsP99 = latencies.value(at: 0.99) - min(overhead, latencies.value(at: 0.99))
    }

    /// Windows are counted over the *granted* instants: the limiter's
    /// promise, and what it controls. How late processes really woke up is
    /// the operating system's part, reported beside it (`wake_late_p99_ns`,
    /// `max_in_1s_actual`): on a loaded host late wake-ups bunch starts.
    mutating func addPaced(outputs: [String], rate: Rate, burst: UInt64, startsFile: String?) throws {
        var pairs: [(granted: UInt64, actual: UInt64)] = []
        var lateness = LatencyHistogram()
        for output in outputs {
            for line in output.split(separator: "\n") where line.hasPrefix("start ") {
                let fields = line.split(separator: " ")
                guard fields.count == 3, let granted = UInt64(fields[1]), let started = UInt64(fields[2]) else { continue }
                pairs.append((granted, started))
                lateness.record(started - granted)
            }
        }
        pairs.sort { $0.granted < $1.granted }
        let granted = pairs.map(\.granted)
        let actual = pairs.map(\.actual).sorted()
        if let startsFile {
            let lines = pairs.map { "\($0.granted) \($0.actual)" }
            try (lines.joined(separator: "\n") + "\n").write(toFile: startsFile, atomically: true, encoding: .utf8)
        }
        self.rate = rate.perSecond
        self.burst = burst
        starts = granted.count
        let span = granted.count > 1 ? Double(granted[granted.count - 1] - granted[0]) / 1e9 : 0
        // Steady-state rate after the initial burst: the pace the limiter keeps.
        achievedRate = span > 0 ? Double(granted.count - Int(burst)) / span : 0
        achievedRatio = (achievedRate ?? 0) / rate.perSecond
        let second: UInt64 = 1_000_000_000
        maxIn1s = SlidingWindow.maximumCount(granted, width: second)
        maxIn1sActual = SlidingWindow.maximumCount(actual, width: second)
        allowedIn1s = rate.allowedStarts(inWindow: second, burst: burst)
        maxIn100ms = SlidingWindow.maximumCount(granted, width: second / 10)
        allowedIn100ms = rate.allowedStarts(inWindow: second / 10, burst: burst)
        violations = SlidingWindow.violations(granted, width: second, allowed: allowedIn1s ?? 0)
            + SlidingWindow.violations(granted, width: second / 10, allowed: allowedIn100ms ?? 0)
        wakeLateP99Ns = lateness.value(at: 0.99)
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public var text: String {
        let header = "limiter bench: \(processes) process\(processes == 1 ? "" : "es"), \(seconds) s"
            + (runs > 1 ? " × \(runs) runs (medians; worst windows)" : "") + ", "
        if baseline != nil {
            return header + "bare CAS loop on one shared word (the ceiling)\n"
                + "  aggregate   \(Self.grouped(opsPerSec ?? 0)) ops/s"
        }
        if !paced {
            return header + "unpaced (tryAcquire, unlimited rate)\n"
                + "  aggregate   \(Self.grouped(opsPerSec ?? 0)) ops/s\n"
                + "  per call    p50 \(nsP50 ?? 0) ns   p99 \(nsP99 ?? 0) ns   (timer overhead \(timerOverheadNs ?? 0) ns subtracted)"
        }
        return header + "paced at \(Self.decimal(rate ?? 0))/s, burst \(burst ?? 0)\n"
            + "  starts      \(starts ?? 0)   achieved \(Self.decimal(achievedRate ?? 0))/s (\(Self.decimal((achievedRatio ?? 0) * 100))% of the limit)\n"
            + "  busiest 1 s window \(maxIn1s ?? 0) (allowed \(allowedIn1s ?? 0))   busiest 100 ms window \(maxIn100ms ?? 0) (allowed \(allowedIn100ms ?? 0))\n"
            + "  violations  \(violations ?? 0) (of granted instants)   wake-up lateness p99 \(Self.decimal(Double(wakeLateP99Ns ?? 0) / 1e3)) µs, "
            + "busiest 1 s of actual starts \(maxIn1sActual ?? 0)"
    }

    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var result = ""
        for (index, digit) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return String(result.reversed())
    }

    static func decimal(_ value: Double) -> String { String(format: "%.2f", value) }
}
