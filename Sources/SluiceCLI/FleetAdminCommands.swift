import SluiceConfig
import SluiceControl
import SluiceCore
import SluiceJSON
import SluiceLimiter

/// `sluice queue set-rate|pause|resume|scale`: change a queue at runtime.
/// Through the running fleet's admin API; with the fleet stopped, saved
/// (with `--config`) so the fleet applies it when it starts.
let fleetAdminCommands: [Command] = [setRateCommand, pauseCommand, resumeCommand, scaleCommand]

private let adminHelp = """
    With the fleet running, the change goes through its admin API and takes effect in every
    process at once; it is saved in the spool so a restart keeps it (until the configuration
    itself changes that setting). With the fleet stopped and --config given, it is saved and
    applied when the fleet starts.
    \(SpoolLocation.help)
    \(FleetConnection.help)
    """

private let setRateCommand = Command(
    ["queue", "set-rate"],
    summary: "Change a queue's global rate (and burst) at runtime",
    usage: """
        sluice queue set-rate <queue> <rate> [--burst N] \(SpoolLocation.usage) \(FleetConnection.usage)

          <rate>          like "20/s", "1200/min"
          --burst N       the burst (default: keep the current one)
        \(adminHelp)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let fleet = try FleetConnection(&arguments, location: location)
    let burst = try arguments.option("--burst", as: { UInt64($0).flatMap { (1...1_000_000).contains($0) ? $0 : nil } },
                                     expected: "a whole number from 1 to 1000000")
    let name = try location.queueName(try arguments.positional("queue"))
    let rateText = try arguments.positional("rate")
    try arguments.finish()
    let rate: Rate
    do { rate = try Rate(parsing: rateText) } catch { throw UsageError("rate: \(error)") }
    var body: [(String, JSONValue)] = [("rate", .string(rateText))]
    if let burst { body.append(("burst", .integer(Int(burst)))) }
    if let response = try fleet.call("PUT", "/v1/queues/\(name)/rate", json: .object(body)) {
        terminal.out(QueueDescriptionText.render(response.json ?? JSONObject()))
        return ExitCode.success
    }
    try saveForNextStart(location, name) { overrides, queue in
        overrides.rate = RuntimeOverrides.RateOverride(
            rate: rate, burst: burst ?? overrides.rate?.burst ?? queue.burst,
            replacedRate: overrides.rate?.replacedRate ?? queue.rate.text,
            replacedBurst: overrides.rate?.replacedBurst ?? queue.burst)
    }
    terminal.out("the fleet is not running: saved rate \(rate.text) for queue \(name); it applies when the fleet starts")
    return ExitCode.success
}

private let pauseCommand = pauseOrResume(paused: true)
private let resumeCommand = pauseOrResume(paused: false)

private func pauseOrResume(paused: Bool) -> Command {
    let verb = paused ? "pause" : "resume"
    return Command(
        ["queue", verb],
        summary: paused ? "Pause a queue fleet-wide: nothing starts until resumed" : "Resume a paused queue",
        usage: """
            sluice queue \(verb) <queue> \(SpoolLocation.usage) \(FleetConnection.usage)

            \(paused ? "No new request starts on the queue in any process; requests in flight finish." : "Requests start again at the queue's rate.")
            \(adminHelp)
            """
    ) { arguments, terminal in
        let location = try SpoolLocation(&arguments)
        let fleet = try FleetConnection(&arguments, location: location)
        let name = try location.queueName(try arguments.positional("queue"))
        try arguments.finish()
        if try fleet.call("POST", "/v1/queues/\(name)/\(verb)") != nil {
            terminal.out("queue \(name) \(paused ? "paused" : "resumed")")
            return ExitCode.success
        }
        try saveForNextStart(location, name) { overrides, _ in overrides.paused = paused }
        terminal.out("the fleet is not running: queue \(name) will start \(paused ? "paused" : "running")")
        return ExitCode.success
    }
}

private let scaleCommand = Command(
    ["queue", "scale"],
    summary: "Change how many worker processes a queue runs",
    usage: """
        sluice queue scale <queue> <processes> \(SpoolLocation.usage) \(FleetConnection.usage)

        New workers start at once; extra ones drain gracefully (in-flight requests finish).
        \(adminHelp)
        """
) { arguments, terminal in
    let location = try SpoolLocation(&arguments)
    let fleet = try FleetConnection(&arguments, location: location)
    let name = try location.queueName(try arguments.positional("queue"))
    let countText = try arguments.positional("processes")
    try arguments.finish()
    guard let processes = Int(countText), (0...256).contains(processes) else {
        throw UsageError("processes: \"\(countText)\" is not a whole number from 0 to 256")
    }
    if let response = try fleet.call("PUT", "/v1/queues/\(name)/processes", json: .object([("processes", .integer(processes))])) {
        let from = response.json?.integer(at: "from").map(String.init) ?? "?"
        terminal.out("queue \(name): \(from) → \(processes) worker processes")
        return ExitCode.success
    }
    try saveForNextStart(location, name) { overrides, queue in
        overrides.processes = processes == queue.processes ? nil
            : RuntimeOverrides.ProcessesOverride(processes: processes, replaced: queue.processes)
    }
    terminal.out("the fleet is not running: queue \(name) will start with \(processes) worker processes")
    return ExitCode.success
}

/// Saves a runtime change for the fleet's next start; needs `--config`
/// (the override records the configured value it replaces).
private func saveForNextStart(_ location: SpoolLocation, _ name: QueueName,
                              _ change: (inout RuntimeOverrides, QueueConfig) -> Void) throws {
    guard let config = location.config, let queue = config.queue(name.rawValue) else {
        throw CommandFailure("no fleet is running on \(location.root.path); give --config FILE to save the change for its next start, or --server to reach a fleet elsewhere")
    }
    guard (try location.openExisting(name)) != nil || (try? location.openForWriting(name)) != nil else {
        throw CommandFailure("cannot open the spool of queue \(name)")
    }
    var overrides = try RuntimeOverrides.load(root: location.root.path, queue: name.rawValue)
    change(&overrides, queue)
    try overrides.save(root: location.root.path, queue: name.rawValue)
}

/// The describe document as text, for people.
enum QueueDescriptionText {
    static func render(_ queue: JSONObject) -> String {
        func text(_ path: String...) -> String {
            switch queue.value(at: path) {
            case .string(let string)?: return string
            case .number(let literal)?: return literal
            case .bool(let flag)?: return flag ? "yes" : "no"
            default: return "-"
            }
        }
        func seconds(_ path: String...) -> String {
            guard case .number(let literal)? = queue.value(at: path), let number = Double(literal) else { return "-" }
            return number < 1 ? "\(Int((number * 1000).rounded())) ms" : String(format: "%.2f s", number)
        }
        let runtime = text("rate", "setAtRuntime") == "yes" ? " (set at runtime)" : ""
        let rows: [(String, String)] = [
            ("rate", "\(text("rate", "configured")) burst \(text("rate", "burst"))\(runtime); observed \(text("rate", "observedPerSecond"))/s over 10 s"),
            ("in force", "\(text("rate", "inForcePerSecond"))/s · edge guard \(seconds("rate", "edgeGuardSeconds")) + path \(seconds("rate", "pathGuardSeconds")) · share left by 429s \(text("rate", "learntShare")) (\(text("rate", "decreases")) decreases)"),
            ("paused", text("paused")),
            ("backlog", "due \(text("backlog", "readyDue")) · waiting \(text("backlog", "readyWaiting")) · leased \(text("backlog", "leased")) · dead \(text("backlog", "dead")) · oldest due \(seconds("backlog", "oldestDueAgeSeconds"))"),
            ("in flight", "\(text("inflight")) (fleet-wide slots \(text("slotsInUse")) of \(text("maxConcurrent") == "0" ? "unlimited" : text("maxConcurrent")))"),
            ("workers", "\(text("workers", "running")) of \(text("workers", "desired")) running · starting \(text("workers", "starting")) · stopping \(text("workers", "stopping")) · restarts \(text("workers", "restarts"))"),
            ("schedule→start", "p50 \(seconds("scheduleToStart", "p50Seconds")) · p99 \(seconds("scheduleToStart", "p99Seconds")) (last 60 s, \(text("scheduleToStart", "count")) requests)"),
            ("totals", "enqueued \(text("totals", "enqueued")) · requests \(text("totals", "requests")) · succeeded \(text("totals", "succeeded")) · dead \(text("totals", "dead")) · 429s \(text("totals", "rateLimited"))"),
        ]
        return "queue \(text("name")) (\(text("provider")))\n" + (rows + coordinatorRows(queue)).map { "  " + $0.0.padding(16) + $0.1 }.joined(separator: "\n")
    }

    /// Whether the queue's limit is the fleet's across hosts, and the
    /// host's coordinator: up or why not, who this host is, what it exchanged.
    static func coordinatorRows(_ queue: JSONObject) -> [(String, String)] {
        guard case .object(let coordinator)? = queue["coordinator"] else {
            // null: no coordinator block; absent: a fleet older than the field, which says nothing.
            return queue["coordinator"] == .null ? [("across hosts", "no: this host's limits only (no coordinator)")] : []
        }
        let scope = coordinator["acrossHosts"] == .bool(true)
            ? "yes: the rate is one schedule in Redis for every host"
            : "no: the queue is unlimited, so not coordinated; a rate set on it is this host's own"
        let holds = "holds published \(coordinator.integer(at: "holds", "published") ?? 0) · applied \(coordinator.integer(at: "holds", "applied") ?? 0)"
            + " · runtime changes written \(coordinator.integer(at: "settings", "written") ?? 0) · applied \(coordinator.integer(at: "settings", "applied") ?? 0)"
        return [("across hosts", scope), ("coordinator", summary(coordinator)), ("fleet exchange", holds)]
    }

    /// One line: Redis, up or down (and why), this host, what it does without Redis.
    static func summary(_ coordinator: JSONObject) -> String {
        func string(_ key: String) -> String {
            if case .string(let text)? = coordinator[key] { return text }
            return "-"
        }
        let fallback = coordinator.integer(at: "maxHosts").map { "share (rate ÷ \($0))" } ?? string("onUnavailable")
        let state = coordinator["up"] == .bool(false) ? "DOWN: \(string("reason"))" : "up"
        let roundTrip = coordinator.double(at: "roundTripSeconds").map { String(format: " · round trip %.1f ms", $0 * 1000) } ?? ""
        return "\(string("redis")) \(state) · host \(string("host")) · without Redis: \(fallback)\(roundTrip)"
    }
}
