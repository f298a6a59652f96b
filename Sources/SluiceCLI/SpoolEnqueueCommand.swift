import Glibc
import SluiceLimiter
import SluiceConfig
import SluiceCore
import SluicePOSIX
import SluiceProviders
import SluiceSpool

/// `sluice enqueue <queue> --json '<task>' | -f tasks.ndjson | < tasks.ndjson`
let spoolEnqueueCommand = Command(
    ["enqueue"],
    summary: "Add tasks to a queue's spool (one JSON task, or NDJSON from a file or stdin)",
    usage: """
        sluice enqueue <queue> (--json '<task>' | -f FILE | < FILE) [--dry-run] \(SpoolLocation.usage) \(FleetConnection.usage)

        Writes each task durably (file and directory synced) before printing its id, one per line.
        A task: {"id": "order-42", "kind": "send_email", "payload": {…}} plus optional "key", "cost",
        "notBefore" (RFC 3339), "maxAttempts"; "id" is generated when left out. An id already in the
        spool is not enqueued again: its id is printed and the existing task kept.
        Each task is checked against the queue's provider first, as ingest and the workers check it
        (rules from --config, else from the running fleet, asked for at most 2 s); a refused task is
        not written. Exit 0 only if every task was accepted; a refused line is named on standard error.

          --json TASK     one task
          -f FILE         NDJSON, one task per line ("-" for standard input, the default)
          --dry-run       check each task and print the request it would send (credentials redacted); write nothing
        \(SpoolLocation.help)
        \(FleetConnection.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let connection = try FleetConnection(&arguments, location: location)
    let single = try arguments.option("--json")
    let file = try arguments.option("-f")
    let dryRun = arguments.flag("--dry-run")
    let queueName = try location.queueName(try arguments.positional("queue"))
    try arguments.finish()
    if single != nil && file != nil { throw UsageError("give --json or -f, not both") }
    // The door's rules (TaskAdmission): the configuration's, else the running fleet's.
    let rules = location.config?.queue(queueName.rawValue).map(AdmissionRules.init(queue:))
        ?? AdmissionLookup.fromFleet(connection, queue: queueName.rawValue, terminal: terminal)
    if dryRun && rules == nil {
        throw CommandFailure("--dry-run: the rules of queue \"\(queueName)\" are unknown: give --config, or run the fleet (or name it with --server)")
    }
    var enqueuer = SpoolEnqueuer(queue: dryRun ? nil : try location.openForWriting(queueName), name: queueName,
                                 terminal: terminal, single: single != nil, rules: rules)
    // Counted in the fleet's statistics when the fleet's segment is there to count in.
    if !dryRun {
        enqueuer.statistics = location.config.flatMap { config in
            try? Coordinator.attach(fleet: config.fleet).queue(queueName).taskStatistics
        }
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
    /// Nil for a dry run: nothing is written.
    let queue: SpoolQueue?
    let name: QueueName
    let terminal: Terminal
    /// One task from --json: errors are not "line 1: …".
    let single: Bool
    private var pending: [(line: Int, request: TaskRequest)] = []
    private var pendingBytes = 0
    private(set) var stopped = false
    private var failures = 0
    var statistics: TaskStatisticsRecorder?
    /// The queue's rules; nil when unknown (then tasks are written unchecked).
    let rules: AdmissionRules?

    static let batchCount = 1000
    static let batchBytes = 8 << 20

    init(queue: SpoolQueue?, name: QueueName, terminal: Terminal, single: Bool, rules: AdmissionRules?) {
        self.queue = queue
        self.name = name
        self.terminal = terminal
        self.single = single
        self.rules = rules
    }

    mutating func add(_ line: SpoolLineReader.Line) {
        if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) && !line.tooLong && !single { return }
        do {
            if line.tooLong {
                throw TaskValidationError(field: "task", problem: "is over \(TaskRequest.maximumSize) bytes (1 MiB): keep large data elsewhere and pass a reference")
            }
            let request = try TaskRequest(parsing: line.bytes, queue: name)
            if let rules {
                do {
                    let admitted = try TaskAdmission.check(request, rules: rules)
                    if queue == nil { printDryRun(request, rules: rules, admitted: admitted, line: line.number) }
                } catch {
                    failures += 1
                    // As ingest words it (and, for one task, exactly ingest's message).
                    terminal.err(single ? "sluice enqueue: \(error); nothing was queued" : "line \(line.number): \(error); line not enqueued")
                    return
                }
            }
            guard queue != nil else { return }
            pending.append((line.number, request))
            pendingBytes += line.bytes.count
            if pending.count >= Self.batchCount || pendingBytes >= Self.batchBytes { commit() }
        } catch {
            failures += 1
            terminal.err(single ? "sluice enqueue: \(error); nothing was written" : "line \(line.number): \(error); line not enqueued")
        }
    }

    private mutating func commit() {
        guard let queue, !pending.isEmpty else { return }
        defer { pending = []; pendingBytes = 0 }
        do {
            let outcomes = try queue.enqueue(pending.map(\.request), expandingNow: true)
            statistics?.enqueued(outcomes.count { if case .accepted = $0 { true } else { false } })
            for (index, outcome) in outcomes.enumerated() {
                terminal.out(outcome.id.rawValue)
                if case .existing(let id, let status) = outcome {
                    let state = status.map { "\($0.state)" } ?? "known"
                    let place = single ? "" : "line \(pending[index].line): "
                    terminal.err("\(place)id \"\(id)\" is already in queue \"\(name)\" (\(state)); kept the existing task")
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
        guard let queue else { return failures == 0 ? ExitCode.success : ExitCode.failure }
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

extension SpoolEnqueuer {
    /// What the worker would send for `request`: method and URL, headers
    /// (the credential shown as `[redacted]`), a blank line, the body.
    func printDryRun(_ request: TaskRequest, rules: AdmissionRules, admitted: TaskAdmission.Admitted, line: Int) {
        var built = admitted.request
        if request.id == nil, let idempotency = built.headers.firstIndex(where: { $0.name == "Idempotency-Key" }) {
            built.headers[idempotency].value = "<the task's id, made when it is queued>"
        }
        let credential = rules.credentialName.map { "[redacted] (from \($0))" }
        let authorization = credential.map { [(name: "Authorization", value: $0)] } ?? []
        var text = single ? "" : "# line \(line)\n"
        text += "\(built.method) \(built.url)\n"
        for header in authorization + built.headers { text += "\(header.name): \(header.value)\n" }
        text += "\n" + String(decoding: built.body, as: UTF8.self) + (single ? "" : "\n")
        terminal.out(text)
    }
}
