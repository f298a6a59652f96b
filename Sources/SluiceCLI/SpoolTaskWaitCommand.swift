import Glibc
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceSpool

/// Exit codes of `sluice task wait`, for scripts: what became of the task.
enum TaskWaitExit {
    static let done: Int32 = 0
    static let dead: Int32 = 1
    static let timedOut: Int32 = 3
    static let notFound: Int32 = 4
}

/// `sluice task wait <id> [--timeout 30s]`
let spoolTaskWaitCommand = Command(
    ["task", "wait"],
    summary: "Wait until a task is done or dead, then print it with its result",
    usage: """
        sluice task wait <id> [--timeout 30s] [--queue QUEUE] [--json] \(SpoolLocation.usage)

        Looks at the task (as `task show` does) until it is done or dead, or the timeout passes,
        then prints it: with its result (the provider's answer) once finished, else its current state.
          --timeout D     how long to wait (default 30s; 0s looks once)
          --json          the task document as JSON (as `task show --json`)
        Exit 0: done. 1: dead. 3: still running when the timeout passed. 4: no such task. 2: bad command line.
        \(SpoolLocation.help)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let json = arguments.flag("--json")
    let only = try arguments.option("--queue")
    let timeout = try arguments.option("--timeout", as: DurationText.nanoseconds, expected: "a duration like 30s or 2m") ?? 30_000_000_000
    let id = try taskID(try arguments.positional("id"))
    try arguments.finish()
    let deadline = MonotonicClock.now().addingSaturated(timeout)
    var pause: UInt64 = 20_000_000
    while true {
        guard let status = try findTask(id, only: only, location: location) else {
            terminal.err("task \"\(id)\" not found in \(only.map { "queue \($0)" } ?? "any queue") under \(location.root.path)")
            return TaskWaitExit.notFound
        }
        let finished = status.state == .done || status.state == .dead
        let now = MonotonicClock.now()
        if finished || now >= deadline {
            terminal.out(json ? JSONWriter.string(.object(status.jsonObject())) : showText(status, now: SystemWallClock().now()))
            if !finished { terminal.err("task \(id) is still \(status.state.word) after \(SpoolFormat.duration(timeout))") }
            return status.state == .done ? TaskWaitExit.done : status.state == .dead ? TaskWaitExit.dead : TaskWaitExit.timedOut
        }
        // Each look reads the queue's folders: start quick (most answers come
        // in well under a second), then back off to at most 4 looks a second.
        usleep(useconds_t(min(pause, deadline - now) / 1000))
        pause = min(pause * 2, 250_000_000)
    }
}
