import SluiceSpool
import SluiceJSON

/// `sluice task show <id>`
let spoolTaskShowCommand = Command(
    ["task", "show"],
    summary: "Show one task by id: its state, attempts, history and payload",
    usage: """
        sluice task show <id> [--queue QUEUE] [--json] \(SpoolLocation.usage)

        Looks the id up in every queue (or in QUEUE). Exit 1 if it is not found.
          --json          the stored task as JSON, with "state" (and "leasedBy") added; a finished
                          task has "result": the provider's answer (status, headers, body)
        \(SpoolLocation.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let json = arguments.flag("--json")
    let only = try arguments.option("--queue")
    let id = try taskID(try arguments.positional("id"))
    try arguments.finish()
    guard let status = try findTask(id, only: only, location: location) else {
        terminal.err("task \"\(id)\" not found in \(only.map { "queue \($0)" } ?? "any queue") under \(location.root.path)")
        return ExitCode.failure
    }
    terminal.out(json ? JSONWriter.string(.object(status.jsonObject())) : showText(status, now: SystemWallClock().now()))
    return ExitCode.success
}

/// `sluice task reset <id>`
let spoolTaskResetCommand = Command(
    ["task", "reset"],
    summary: "Make one waiting task due now (attempt unchanged)",
    usage: """
        sluice task reset <id> [--queue QUEUE] \(SpoolLocation.usage)

        A ready task waiting for its retry becomes due now; its attempt count is kept. A leased,
        dead or finished task is not changed (replay a dead one with `sluice dead replay`).
        \(SpoolLocation.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let only = try arguments.option("--queue")
    let id = try taskID(try arguments.positional("id"))
    try arguments.finish()
    guard let found = try findTask(id, only: only, location: location),
          let queue = try location.openExisting(found.queue) else {
        terminal.err("task \"\(id)\" not found in \(only.map { "queue \($0)" } ?? "any queue") under \(location.root.path)")
        return ExitCode.failure
    }
    switch try queue.reset(id) {
    case .madeDue(let previous):
        terminal.out("task \(id) in queue \(found.queue) is due now (it was \(SpoolFormat.due(previous, now: SystemWallClock().now())))")
        return ExitCode.success
    case .alreadyDue:
        terminal.out("task \(id) in queue \(found.queue) is already due; nothing changed")
        return ExitCode.success
    case .notReady(let state):
        terminal.err("task \(id) in queue \(found.queue) is \(state); only a task waiting in ready can be reset"
                     + (state == .dead ? " (replay it: sluice dead replay \(found.queue) --id \(id))" : ""))
        return ExitCode.failure
    case .notFound:
        terminal.err("task \"\(id)\" is no longer in queue \(found.queue)")
        return ExitCode.failure
    }
}

func taskID(_ text: String) throws(UsageError) -> TaskID {
    do { return try TaskID(validating: text) } catch { throw UsageError("\(error)") }
}

/// The task `id` in queue `only`, or in the first queue that has it.
func findTask(_ id: TaskID, only: String?, location: SpoolLocation) throws -> TaskStatus? {
    let names = try only.map { [try location.queueName($0)] } ?? location.queueNames()
    for name in names {
        if let status = try location.openExisting(name)?.status(of: id) { return status }
    }
    return nil
}

func showText(_ status: TaskStatus, now: UInt64) -> String {
    var lines = ["task \(status.id) in queue \(status.queue)"]
    func row(_ label: String, _ value: String) { lines.append("  " + label.padding(11) + TerminalText.escaped(value)) }
    switch status.state {
    case .ready(let due): row("state", "ready, \(SpoolFormat.due(due, now: now)) (\(Timestamp.format(due)))")
    case .leased(let pid, _): row("state", "leased by pid \(pid)")
    case .journaled: row("state", "accepted, in a batch not yet expanded into ready")
    case .dead, .done: row("state", "\(status.state)")
    }
    if let problem = status.problem { row("note", problem) }
    guard let record = status.record else { return lines.joined(separator: "\n") }
    row("kind", record.kind)
    row("attempt", record.maxAttempts.map { "\(record.attempt) of \($0)" } ?? "\(record.attempt)")
    if let key = record.key { row("key", key) }
    if let cost = record.cost { row("cost", String(cost)) }
    row("enqueued", Timestamp.format(record.enqueuedAt))
    if let lastError = record.lastError { row("last error", lastError) }
    if !record.history.isEmpty {
        lines.append("  history")
        lines += record.history.map { "    " + TerminalText.escaped($0) }
    }
    row("payload", JSONWriter.string(.object(record.payload)))
    if let result = record.result { lines += resultLines(result) }
    return lines.joined(separator: "\n")
}

/// The kept answer, as `task show` prints it: status, headers, then the body
/// (JSON and text as they are, base64 as stored), every line escaped.
func resultLines(_ result: TaskResult) -> [String] {
    var lines = ["  result"]
    func row(_ label: String, _ value: String) { lines.append("    " + label.padding(9) + TerminalText.escaped(value)) }
    row("status", "\(result.status) (attempt \(result.attempt), \(Timestamp.format(result.receivedAt)))")
    for name in result.headers.keys.sorted() { lines.append("    " + TerminalText.escaped("\(name): \(result.headers[name] ?? "")")) }
    let size = result.bodyBytes.map { "\($0) bytes" } ?? "not read: over maxResponseBytes"
    row("body", "\(result.body.encoding), \(size)\(result.truncated && result.bodyBytes != nil ? ", truncated" : "")")
    switch result.body {
    case .json(let value): lines.append("    " + TerminalText.escaped(JSONWriter.string(value)))
    case .text(let text): lines += text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + TerminalText.escaped(String($0)) }
    case .base64(let text): lines.append("    " + text)
    case .unread: break
    }
    return lines
}
