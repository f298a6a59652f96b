import Foundation
import SluiceLimiter
import SluicePOSIX
import SluiceCore

/// `sluice bench limiter`: N real processes on one queue of a fresh segment.
public struct LimiterBench: Sendable {
    public var processes = 1
    public var seconds = 5.0
    /// Unpaced runs use an unlimited rate (every call takes the full CAS path
    /// and is granted); paced runs default to 100/s.
    public var rate: Rate?
    public var burst: UInt64 = 1
    public var paced = false
    /// Instead of the limiter, measure a bare CAS loop on one shared word.
    public var bareCompareAndSwap = false
    /// Where to write every start (paced): "granted actual" per line, in ns.
    public var startsFile: String?
    /// Repeat the measurement this many times and combine (see `combining`).
    public var runs = 1

    public init() {}

    /// Runs the benchmark `runs` times and combines the reports.
    public func run(executable: String) throws -> LimiterBenchReport {
        LimiterBenchReport.combining(try (0..<max(runs, 1)).map { _ in try runOnce(executable: executable) })
    }

    /// One run: spawns `executable bench limiter-child …` N times.
    func runOnce(executable: String) throws -> LimiterBenchReport {
        let fleet = try FleetName(validating: "bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let coordinator = try Coordinator.create(fleet: fleet)
        defer { _ = try? Coordinator.remove(fleet: fleet) }
        let effectiveRate = try rate ?? (paced ? Rate(parsing: "100/s") : .unlimited)
        let queueName = try QueueName(validating: "bench")
        try coordinator.register(queue: queueName, limits: QueueLimits(rate: GCRA.Limit(rate: effectiveRate, burst: burst)))

        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Start together, after every child has had time to spawn and attach.
        let go = MonotonicClock.now() + 300_000_000 + UInt64(processes) * 20_000_000
        let end = go + UInt64(seconds * 1e9)
        let children = try (0..<processes).map { index in
            try ChildProcess.spawn(
                executable: executable,
                arguments: ["bench", "limiter-child", "--fleet", fleet.rawValue, "--queue", queueName.rawValue,
                            "--mode", paced ? "paced" : bareCompareAndSwap ? "bare-cas" : "unpaced", "--go", "\(go)", "--end", "\(end)",
                            "--parent", "\(getpid())"],
                standardOutput: "\(directory)/child-\(index).out",
                standardError: "\(directory)/child-\(index).err"
            )
        }
        for (index, child) in children.enumerated() {
            let status = try child.waitForExit()
            guard status == .exited(0) else {
                let detail = (try? String(contentsOfFile: "\(directory)/child-\(index).err", encoding: .utf8)) ?? ""
                throw BenchError("bench child \(index) \(status): \(detail)")
            }
        }
        let outputs = try (0..<processes).map { try String(contentsOfFile: "\(directory)/child-\($0).out", encoding: .utf8) }
        var report = LimiterBenchReport(processes: processes, seconds: seconds, paced: paced)
        report.baseline = bareCompareAndSwap ? "bare-cas" : nil
        if paced {
            try report.addPaced(outputs: outputs, rate: effectiveRate, burst: burst, startsFile: startsFile)
        } else {
            report.addUnpaced(outputs: outputs)
        }
        report.counters = try coordinator.queue(queueName).counterTotals
        return report
    }

    private func temporaryDirectory() throws -> String {
        var template = Array("/tmp/sluice-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SystemError(call: "mkdtemp", errno: errno) }
        return String(cString: made)
    }
}

public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
