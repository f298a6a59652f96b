import Glibc
import SluiceCore
import SluicePOSIX
import SluiceSpool

/// What every bench that drives a fleet does in its scratch directory: fill
/// the spool with the real `sluice enqueue`, and wait for the fleet to empty it.
extension E2EScratch {
    /// Enqueues `lines` (NDJSON tasks) on `queue` with `sluice enqueue`, before or while a fleet runs.
    /// Throws unless every line was accepted.
    func enqueue(_ executable: String, queue: String, lines: [String], configPath: String) throws {
        let path = file("tasks-\(queue).ndjson")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let label = "enqueue-\(queue)"
        let child = try spawn(executable, ["enqueue", queue, "--config", configPath, "-f", path], label: label)
        let status = try wait(child)
        guard status == .exited(0) else { throw BenchError("bench \(bench): enqueue \(queue) \(status): \(errors(label))") }
    }

    /// Polls the spool until none of `queues` has a ready, leased or journaled task,
    /// sampling the workers meanwhile. Throws if the fleet (`supervisor`, logging
    /// to `<label>.err`) exits, or `timeout` seconds pass.
    func waitUntilDrained(_ queues: [String], supervisor: ChildProcess, label: String, sampler: inout E2EWorkerSampler,
                          timeout: Double) throws {
        let spools = try queues.map { try SpoolQueue(root: file("spool"), name: QueueName(validating: $0), create: false) }
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        while true {
            sampler.sample()
            let busy = try spools.contains { spool in
                let counts = try spool.counts()
                return counts.readyDue + counts.readyWaiting + counts.leased + counts.journaled > 0
            }
            if !busy { return }
            if let status = try supervisor.pollExit() {
                _ = try? wait(supervisor)
                throw BenchError("bench \(bench): the fleet \(status) before draining: \(errors(label).suffix(2000))")
            }
            guard MonotonicClock.now() < deadline else {
                throw BenchError("bench \(bench): the fleet did not drain within \(Int(timeout)) s; the end of its log: \(errors(label).suffix(2000))")
            }
            usleep(250_000)
        }
    }
}
