import SluiceSpool
import SluiceCore
import SluiceJSON

/// `sluice queue describe <queue> [--json]`
let spoolQueueDescribeCommand = Command(
    ["queue", "describe"],
    summary: "Show a queue's tasks per state and how long the oldest due task has waited",
    usage: """
        sluice queue describe <queue> [--json] \(SpoolLocation.usage) \(FleetConnection.usage)

        With the fleet running, from its API: the rate in force and the observed rate, backlog by
        state, in flight, workers, schedule-to-start p50/p99 over the last minute, totals.
        Otherwise, counts read from the spool directly: ready and due now, ready and waiting (a
        retry or a notBefore), leased (and how many by processes that are gone), dead, journaled
        (accepted, not yet expanded), quarantined; and the age of the oldest due task.

          --json          one JSON object (the API's document, or ready_due, ready_waiting, leased, …)
        \(SpoolLocation.help)
        \(FleetConnection.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let fleet = try FleetConnection(&arguments, location: location)
    let json = arguments.flag("--json")
    let name = try location.queueName(try arguments.positional("queue"))
    try arguments.finish()
    if let response = try fleet.call("GET", "/v1/queues/\(name)") {
        terminal.out(json ? String(decoding: response.body, as: UTF8.self) : QueueDescriptionText.render(response.json ?? JSONObject()))
        return ExitCode.success
    }
    let queue = try location.openExisting(name)
    let counts = try queue?.counts() ?? QueueCounts()
    let path = "\(location.root.path)/\(name)"
    if json {
        var object = describeJSON(name, path: path, counts)
        object["exists"] = .bool(queue != nil)
        terminal.out(JSONWriter.string(.object(object)))
    } else {
        terminal.out(describeText(name, path: path, counts) + (queue == nil ? "\n  (no directory yet: nothing was ever enqueued to it)" : ""))
    }
    return ExitCode.success
}

private func describeJSON(_ name: QueueName, path: String, _ counts: QueueCounts) -> JSONObject {
    var object = JSONObject()
    object["queue"] = .string(name.rawValue)
    object["path"] = .string(path)
    object["ready_due"] = SpoolFormat.number(counts.readyDue)
    object["ready_waiting"] = SpoolFormat.number(counts.readyWaiting)
    object["leased"] = SpoolFormat.number(counts.leased)
    object["leased_by_gone_processes"] = SpoolFormat.number(counts.leasedByGoneProcesses)
    object["dead"] = SpoolFormat.number(counts.dead)
    object["done"] = SpoolFormat.number(counts.done)
    object["journaled"] = SpoolFormat.number(counts.journaled)
    object["quarantined"] = SpoolFormat.number(counts.quarantined)
    object["oldest_due_age_seconds"] = SpoolFormat.seconds(counts.oldestDueAge)
    return object
}

private func describeText(_ name: QueueName, path: String, _ counts: QueueCounts) -> String {
    var leased = String(counts.leased)
    if counts.leasedByGoneProcesses > 0 {
        leased += "  (\(counts.leasedByGoneProcesses) by processes that are gone; a starting worker returns them)"
    }
    let rows: [[String]] = [
        ["ready, due now", String(counts.readyDue)],
        ["ready, waiting", String(counts.readyWaiting)],
        ["leased", leased],
        ["dead", String(counts.dead)],
        ["done (kept)", String(counts.done)],
        ["journaled", String(counts.journaled)],
        ["quarantined", String(counts.quarantined)],
        ["oldest due", counts.readyDue == 0 ? "-" : SpoolFormat.duration(counts.oldestDueAge) + " ago"],
    ]
    return "queue \(name)  \(path)\n" + rows.map { "  " + $0[0].padding(17) + $0[1] }.joined(separator: "\n")
}

/// `sluice queue list`
let spoolQueueListCommand = Command(
    ["queue", "list"],
    summary: "List the queues with their counts",
    usage: """
        sluice queue list [--json] \(SpoolLocation.usage)

        Every queue with a directory in the spool (or, with --config, every configured queue).
        \(SpoolLocation.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let json = arguments.flag("--json")
    try arguments.finish()
    var rows = [["QUEUE", "READY_DUE", "WAITING", "LEASED", "DEAD", "OLDEST_DUE"]]
    var objects: [JSONValue] = []
    for name in try location.queueNames() {
        let counts = try location.openExisting(name)?.counts() ?? QueueCounts()
        objects.append(.object(describeJSON(name, path: "\(location.root.path)/\(name)", counts)))
        rows.append([name.rawValue, String(counts.readyDue), String(counts.readyWaiting), String(counts.leased), String(counts.dead),
                     counts.readyDue == 0 ? "-" : SpoolFormat.duration(counts.oldestDueAge)])
    }
    if json {
        terminal.out(JSONWriter.string(.array(objects)))
    } else if rows.count == 1 {
        terminal.out("no queues in \(location.root.path)")
    } else {
        terminal.out(SpoolFormat.table(rows, numeric: [1, 2, 3, 4]))
    }
    return ExitCode.success
}

/// `sluice queue reset <queue>`
let spoolQueueResetCommand = Command(
    ["queue", "reset"],
    summary: "Make every task of a queue that Sluice pushed back due now",
    usage: """
        sluice queue reset <queue> \(SpoolLocation.usage) \(FleetConnection.usage)

        Every ready task that Sluice pushed back (a retry's backoff, a 429's hold, its key's limit)
        becomes due now, its attempt count unchanged: for when the downstream API has recovered and
        tasks sit at long backoffs. Tasks waiting for their own notBefore keep their time. Prints
        the ids reset.
        Through the fleet's API when it runs, else on the spool directly.
        \(SpoolLocation.help)
        \(FleetConnection.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let fleet = try FleetConnection(&arguments, location: location)
    let name = try location.queueName(try arguments.positional("queue"))
    try arguments.finish()
    if let response = try fleet.call("POST", "/v1/queues/\(name)/reset") {
        var count = 0
        if case .array(let ids)? = response.json?["reset"] {
            for case .string(let id) in ids { terminal.out(id) }
            count = ids.count
        }
        terminal.err("reset \(count) waiting \(count == 1 ? "retry" : "retries") in queue \(name); due now")
        return ExitCode.success
    }
    guard let queue = try location.openExisting(name) else {
        terminal.out("reset 0 waiting retries in queue \(name)")
        return ExitCode.success
    }
    let reset = try queue.resetWaitingRetries()
    for id in reset { terminal.out(id.rawValue) }
    terminal.err("reset \(reset.count) waiting \(reset.count == 1 ? "retry" : "retries") in queue \(name); due now")
    return ExitCode.success
}

extension String {
    /// The text followed by spaces up to `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
