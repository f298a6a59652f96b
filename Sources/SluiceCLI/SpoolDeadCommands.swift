import SluiceSpool
import SluiceJSON

/// `sluice dead list <queue>`
let spoolDeadListCommand = Command(
    ["dead", "list"],
    summary: "List a queue's dead tasks with their last error",
    usage: """
        sluice dead list <queue> [--json] \(SpoolLocation.usage)

        Dead tasks, the longest dead first: id, attempts made, when, and why.
          --json          a JSON array of the stored tasks
        \(SpoolLocation.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let json = arguments.flag("--json")
    let name = try location.queueName(try arguments.positional("queue"))
    try arguments.finish()
    let dead = try location.openExisting(name)?.deadTasks() ?? []
    if json {
        terminal.out(JSONWriter.string(.array(dead.map { .object($0.record?.jsonObject() ?? JSONObject()) })))
    } else if dead.isEmpty {
        terminal.out("no dead tasks in queue \(name)")
    } else {
        let rows = [["ID", "ATTEMPTS", "DEAD SINCE", "LAST ERROR"]] + dead.map { status in
            [status.id.rawValue, status.record.map { String($0.attempt) } ?? "?",
             SpoolFormat.time(ofHistoryLine: status.record?.history.last), status.record?.lastError ?? status.problem ?? ""]
        }
        terminal.out(SpoolFormat.table(rows, numeric: [1]))
    }
    return ExitCode.success
}

/// `sluice dead replay <queue> [--id ID]`
let spoolDeadReplayCommand = Command(
    ["dead", "replay"],
    summary: "Move dead tasks back to ready, attempts reset",
    usage: """
        sluice dead replay <queue> [--id ID] \(SpoolLocation.usage)

        Every dead task of the queue (or only ID) goes back to ready, due now, with its attempt
        count reset to 1; its history and last error are kept. Prints the ids replayed.
        \(SpoolLocation.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let only = try arguments.option("--id").map { (text: String) throws(UsageError) in try taskID(text) }
    let name = try location.queueName(try arguments.positional("queue"))
    try arguments.finish()
    let replayed = try location.openExisting(name)?.replayDead(only) ?? []
    for id in replayed { terminal.out(id.rawValue) }
    if let only, replayed.isEmpty {
        terminal.err("task \"\(only)\" is not dead in queue \(name); nothing replayed")
        return ExitCode.failure
    }
    terminal.err("replayed \(replayed.count) dead \(replayed.count == 1 ? "task" : "tasks") of queue \(name); ready, due now, attempts reset")
    return ExitCode.success
}
