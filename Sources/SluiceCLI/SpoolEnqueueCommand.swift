import Glibc
import SluiceLimiter
import SluiceConfig
import SluicePOSIX
import SluiceProviders
import SluiceSpool

/// `sluice enqueue <queue> --json '<task>' | -f tasks.ndjson | < tasks.ndjson`
let spoolEnqueueCommand = Command(
    ["enqueue"],
    summary: "Add tasks to a queue's spool (one JSON task, or NDJSON from a file or stdin)",
    usage: """
        sluice enqueue <queue> (--json '<task>' | -f FILE | < FILE) \(SpoolLocation.usage)

        Writes each task durably (file and directory synced) before printing its id, one per line.
        A task: {"id": "order-42", "kind": "send_email", "payload": {…}} plus optional "key", "cost",
        "notBefore" (RFC 3339), "maxAttempts"; "id" is generated when left out. An id already in the
        spool is not enqueued again: its id is printed and the existing task kept.
        Exit 0 only if every task was accepted; a refused line is named on standard error.

          --json TASK     one task
          -f FILE         NDJSON, one task per line ("-" for standard input, the default)
        \(SpoolLocation.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let single = try arguments.option("--json")
    let file = try arguments.option("-f")
    let queueName = try location.queueName(try arguments.positional("queue"))
    try arguments.finish()
    if single != nil && file != nil { throw UsageError("give --json or -f, not both") }
    let queue = try location.openForWriting(queueName)
    var enqueuer = SpoolEnqueuer(queue: queue, terminal: terminal, single: single != nil)
    // With the fleet's configuration, a task the queue's limits could never admit is refused here.
    enqueuer.queueConfig = location.config?.queue(queueName.rawValue)
    // Counted in the fleet's statistics when the fleet's segment is there to count in.
    enqueuer.statistics = location.config.flatMap { config in
        try? Coordinator.attach(fleet: config.fleet).queue(queueName).taskStatistics
    }
    if let single {
        enqueuer.add(SpoolLineReader.Line(number: 1, bytes: Array(single.utf8), tooLong: false))
    } else {
        let fd = try openInput(file ?? "-")
        defer { if fd != 0 { close(fd) } }
        var reader = SpoolLineReader(fd: fd)
        while let line = try reader.next() {
            enqueuer.add(line)
            if enqueuer.stopped { break }
        }
    }
    return enqueuer.finish()
}

private func openInput(_ path: String) throws -> Int32 {
    if path == "-" { return 0 }
    do {
        return try syscall("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
    } catch {
        throw UsageError("-f \(path): \(error)")
    }
}

/// Validates lines, groups them into batches, commits each batch, and
/// reports per line; then expands the batches so workers see the tasks.
private struct SpoolEnqueuer {
    let queue: SpoolQueue
    let terminal: Terminal
    /// One task from --json: errors are not "line 1: …".
    let single: Bool
    private var pending: [(line: Int, request: TaskRequest)] = []
    private var pendingBytes = 0
    private(set) var stopped = false
    private var failures = 0
    var statistics: TaskStatisticsRecorder?
    var queueConfig: QueueConfig?

    static let batchCount = 1000
    static let batchBytes = 8 << 20

    init(queue: SpoolQueue, terminal: Terminal, single: Bool) {
        self.queue = queue
        self.terminal = terminal
        self.single = single
    }

    mutating func add(_ line: SpoolLineReader.Line) {
        if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) && !line.tooLong && !single { return }
        do {
            if line.tooLong {
                throw TaskValidationError(field: "task", problem: "is over \(TaskRequest.maximumSize) bytes (1 MiB): keep large data elsewhere and pass a reference")
            }
            let request = try TaskRequest(parsing: line.bytes, queue: queue.name)
            if let queueConfig, let refusal = CostAdmission.refusal(kind: request.kind, payload: request.payload, cost: request.cost, queue: queueConfig) {
                throw CommandFailure(refusal)
            }
            pending.append((line.number, request))
            pendingBytes += line.bytes.count
            if pending.count >= Self.batchCount || pendingBytes >= Self.batchBytes { commit() }
        } catch {
            failures += 1
            terminal.err(single ? "sluice enqueue: \(error); nothing was written" : "line \(line.number): \(error); line not enqueued")
        }
    }

    private mutating func commit() {
        guard !pending.isEmpty else { return }
        defer { pending = []; pendingBytes = 0 }
        do {
            let outcomes = try queue.enqueue(pending.map(\.request), expandingNow: true)
            statistics?.enqueued(outcomes.count { if case .accepted = $0 { true } else { false } })
            for (index, outcome) in outcomes.enumerated() {
                terminal.out(outcome.id.rawValue)
                if case .existing(let id, let status) = outcome {
                    let state = status.map { "\($0.state)" } ?? "known"
                    let place = single ? "" : "line \(pending[index].line): "
                    terminal.err("\(place)id \"\(id)\" is already in queue \"\(queue.name)\" (\(state)); kept the existing task")
                }
            }
        } catch {
            failures += pending.count
            stopped = true
            let lines = single ? "" : "lines \(pending[0].line)–\(pending[pending.count - 1].line): "
            terminal.err("\(lines)\(error)")
        }
    }

    mutating func finish() -> Int32 {
        commit()
        do {
            try queue.expandPendingBatches()
        } catch {
            terminal.err("sluice enqueue: the tasks are accepted, but expanding them into ready/ failed: \(error); "
                         + "the next worker to start will expand them")
        }
        if stopped { terminal.err("sluice enqueue: stopped at the first batch that could not be written; later lines were not read") }
        return failures == 0 ? ExitCode.success : ExitCode.failure
    }
}
