import Foundation
import Glibc
import SluicePOSIX

/// Finds the fleet's worker processes in the supervisor's log
/// (`event=worker.started queue=Q pid=P`) and keeps each one's latest
/// /proc reading: its peak RSS and CPU time so far.
struct E2EWorkerSampler {
    private let logPath: String
    private var logOffset: UInt64 = 0
    private var partialLine = ""
    private(set) var workers: [E2EDrainReport.Worker] = []

    init(logPath: String) { self.logPath = logPath }

    /// Reads what the log gained since the last call, then samples every worker still alive.
    mutating func sample() {
        discoverWorkers()
        for index in workers.indices {
            guard let reading = E2EProcessSample.read(workers[index].pid) else { continue }
            workers[index].peakResidentKB = max(workers[index].peakResidentKB, reading.peakResidentKB)
            workers[index].cpuSeconds = max(workers[index].cpuSeconds, reading.cpuSeconds)
        }
    }

    private mutating func discoverWorkers() {
        guard let file = FileHandle(forReadingAtPath: logPath) else { return }
        defer { try? file.close() }
        try? file.seek(toOffset: logOffset)
        guard let data = try? file.readToEnd(), !data.isEmpty else { return }
        logOffset += UInt64(data.count)
        let text = partialLine + String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        partialLine = String(lines.removeLast())
        for line in lines where line.contains("event=worker.started") && line.contains("component=supervisor") {
            guard let event = LoggedEvent(line), let queue = event.fields["queue"], let pid = event.fields["pid"].flatMap({ Int32($0) }) else { continue }
            workers.append(E2EDrainReport.Worker(pid: pid, queue: queue))
        }
    }
}
