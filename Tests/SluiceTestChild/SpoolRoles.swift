import Glibc
import SluicePOSIX
import SluiceSpool
import SluiceCore
import Synchronization

/// Spool actors for the multi-process spool tests. Each prints what it did,
/// one line per event, with one `write` per line, so a test can trust every
/// complete line even when the child is SIGKILLed mid-run.
let spoolRoles: [String: @Sendable ([String]) -> Int32] = [
    "spool-enqueuer": { spoolEnqueuer($0) },
    "spool-claimer": { spoolClaimer($0) },
    "spool-holder": { spoolHolder($0) },
    "spool-settle": { spoolSettle($0) },
    "spool-die-at": { spoolDieAt($0) },
    "spool-finish-die-at": { spoolFinishDieAt($0) },
    "spool-stress": { spoolStress($0) },
]

/// `spool-enqueuer <root> <queue> <id-prefix>`: enqueues batches of 1…20
/// tasks with ids `<prefix>-<n>` forever, printing `accepted <id>` for each
/// after its batch is durable, then expanding the batch itself, as
/// `sluice enqueue` does. Made to be killed at any instant.
private func spoolEnqueuer(_ arguments: [String]) -> Int32 {
    guard arguments.count == 3, let queue = openQueue(arguments[0], arguments[1]) else { return usage("spool-enqueuer <root> <queue> <id-prefix>") }
    var serial = 0
    while true {
        let size = Int.random(in: 1...20)
        let requests = (0..<size).compactMap { _ -> TaskRequest? in
            serial += 1
            return try? TaskRequest(id: TaskID(validating: "\(arguments[2])-\(serial)"), queue: queue.name, kind: "send_email")
        }
        do {
            let outcomes = try queue.enqueue(requests)
            StandardStream.output.write(outcomes.map { "accepted \($0.id)\n" }.joined())
            try queue.expandPendingBatches()  // as a separate step, so kills also land between the two
        } catch {
            StandardStream.error.line("spool-enqueuer: \(error)")
            return 1
        }
    }
}

/// `spool-claimer <root> <queue> [go-file]`: builds its index, prints
/// `ready`, waits for `go-file` to exist (if given), then claims and
/// completes until nothing is due, printing `claimed <id>` for each.
private func spoolClaimer(_ arguments: [String]) -> Int32 {
    guard arguments.count >= 2, let queue = openQueue(arguments[0], arguments[1]) else { return usage("spool-claimer <root> <queue> [go-file]") }
    do {
        _ = try queue.nextDueAt()
        StandardStream.output.line("ready")
        if arguments.count > 2 { while access(arguments[2], F_OK) != 0 { usleep(1000) } }
        while let lease = try queue.claim() {
            StandardStream.output.line("claimed \(lease.task.id)")
            try queue.complete(lease)
        }
        StandardStream.output.line("finished")
        return 0
    } catch {
        StandardStream.error.line("spool-claimer: \(error)")
        return 1
    }
}

/// `spool-holder <root> <queue> <count>`: claims `count` tasks, prints
/// `leased <id> <attempt>` for each and `holding`, then sleeps until killed.
private func spoolHolder(_ arguments: [String]) -> Int32 {
    guard arguments.count == 3, let count = Int(arguments[2]), let queue = openQueue(arguments[0], arguments[1]) else {
        return usage("spool-holder <root> <queue> <count>")
    }
    do {
        for _ in 0..<count {
            guard let lease = try queue.claim() else { break }
            StandardStream.output.line("leased \(lease.task.id) \(lease.task.attempt)")
        }
        StandardStream.output.line("holding")
    } catch {
        StandardStream.error.line("spool-holder: \(error)")
        return 1
    }
    while true { sleep(60) }
}

/// `spool-settle <root> <queue> <id> (retry <seconds> | dead) <error…>`: claims
/// task `id` (releasing any other it claims on the way) and settles it as a
/// worker would after a failed attempt. Prints `settled <id> <attempt>`.
private func spoolSettle(_ arguments: [String]) -> Int32 {
    guard arguments.count >= 5, let queue = openQueue(arguments[0], arguments[1]) else {
        return usage("spool-settle <root> <queue> <id> (retry <seconds> | dead) <error…>")
    }
    do {
        var passed: [Lease] = []
        defer { for lease in passed { try? queue.release(lease) } }
        while let lease = try queue.claim() {
            guard lease.task.id.rawValue == arguments[2] else { passed.append(lease); continue }
            let error = arguments.dropFirst(arguments[3] == "retry" ? 5 : 4).joined(separator: " ")
            if arguments[3] == "retry", let seconds = UInt64(arguments[4]) {
                try queue.retry(lease, at: SystemWallClock().now() + seconds * 1_000_000_000, error: error)
            } else {
                try queue.deadLetter(lease, reason: error)
            }
            StandardStream.output.line("settled \(lease.task.id) \(lease.task.attempt)")
            return 0
        }
        StandardStream.error.line("spool-settle: task \(arguments[2]) is not due in queue \(arguments[1])")
        return 1
    } catch {
        StandardStream.error.line("spool-settle: \(error)")
        return 1
    }
}

/// `spool-die-at <root> <queue> <step> <id…>`: enqueues the ids as one
/// batch and expands it (as `sluice enqueue` and the ingest API do), but is
/// SIGKILLed by itself just before its `step`-th file-system call: a crash at
/// an exact point, with no clean-up of any kind. Prints `accepted <id>` for
/// each id accepted, if it gets that far, and `steps <n>` at the end.
private func spoolDieAt(_ arguments: [String]) -> Int32 {
    guard arguments.count >= 4, let dieAt = Int(arguments[2]) else { return usage("spool-die-at <root> <queue> <step> <id…>") }
    let steps = Atomic<Int>(0)
    var options = SpoolOptions()
    options.faults = SpoolFaults { _, _ in
        if steps.add(1, ordering: .relaxed).newValue == dieAt { raise(SIGKILL) }
        return nil
    }
    guard let queue = openQueue(arguments[0], arguments[1], options: options) else { return 1 }
    do {
        let requests = try arguments.dropFirst(3).map { try TaskRequest(id: TaskID(validating: $0), queue: queue.name, kind: "send_email") }
        let outcomes = try queue.enqueue(requests, expandingNow: true)
        StandardStream.output.write(outcomes.map { if case .accepted(let id) = $0 { "accepted \(id)\n" } else { "existing \($0.id)\n" } }.joined())
        StandardStream.output.line("steps \(steps.load(ordering: .relaxed))")
        return 0
    } catch {
        StandardStream.error.line("spool-die-at: \(error)")
        return 1
    }
}

/// `spool-finish-die-at <root> <queue> <step> <id> (done|dead)`: claims task
/// `id` and finishes it with a result kept (results retained for an hour), as
/// a worker does with a provider's answer, but is SIGKILLed by itself just
/// before its `step`-th file-system call. Prints `finished <id>` and
/// `steps <n>` if it gets that far.
private func spoolFinishDieAt(_ arguments: [String]) -> Int32 {
    guard arguments.count == 5, let dieAt = Int(arguments[2]) else { return usage("spool-finish-die-at <root> <queue> <step> <id> (done|dead)") }
    let steps = Atomic<Int>(0)
    var options = SpoolOptions()
    options.resultRetention = 3_600_000_000_000
    options.faults = SpoolFaults { _, _ in
        if steps.add(1, ordering: .relaxed).newValue == dieAt { raise(SIGKILL) }
        return nil
    }
    guard let queue = openQueue(arguments[0], arguments[1], options: options) else { return 1 }
    do {
        guard let lease = try queue.claim(), lease.task.id.rawValue == arguments[3] else {
            StandardStream.error.line("spool-finish-die-at: task \(arguments[3]) is not due")
            return 1
        }
        try queue.settle(lease, arguments[4] == "dead" ? .deadLetter(reason: "HTTP 400") : .complete,
                         result: crashTestResult(attempt: lease.task.attempt))
        StandardStream.output.line("finished \(lease.task.id)")
        StandardStream.output.line("steps \(steps.load(ordering: .relaxed))")
        return 0
    } catch {
        StandardStream.error.line("spool-finish-die-at: \(error)")
        return 1
    }
}

/// The result `spool-finish-die-at` keeps: big enough to span several pages.
func crashTestResult(attempt: Int) -> TaskResult {
    TaskResult(status: 200, headers: ["request-id": "req_crash"], body: .text(String(repeating: "answer ", count: 4096)),
               bodyBytes: 7 * 4096, truncated: false, attempt: attempt, receivedAt: 1_763_717_400_000_000_000)
}

/// `spool-stress <enqueue|claim|replay|recover> <root> <queue> <stop-file> <id-space>`:
/// one side of the spool stress test, in a loop until `stop-file` exists.
/// Done retention is on, so an id is accepted at most once. Prints:
/// - enqueue: `accepted <id>` for batches of 1…20 random ids `s<n>`, n < id-space,
///   expanded at once or left to a claimer, at random;
/// - claim: `ran <id>` for each task claimed; a task never replayed is
///   dead-lettered when n % 7 == 0 (`dead <id>`), every other one completed;
/// - replay: `replayed <id>` for each dead task it moved back;
/// - recover: nothing; runs recovery over and over.
private func spoolStress(_ arguments: [String]) -> Int32 {
    guard arguments.count == 5, let space = Int(arguments[4]) else {
        return usage("spool-stress <enqueue|claim|replay|recover> <root> <queue> <stop-file> <id-space>")
    }
    var options = SpoolOptions()
    options.doneRetention = 3_600_000_000_000
    // Widen every race: now and then a file-system call waits up to 2 ms
    // first, so the processes' steps interleave in ways a fast disk hides.
    options.faults = SpoolFaults { _, _ in
        if Int.random(in: 0..<8) == 0 { usleep(UInt32.random(in: 0...2_000)) }
        return nil
    }
    guard let queue = openQueue(arguments[1], arguments[2], options: options) else { return 1 }
    let stop = arguments[3]
    do {
        while access(stop, F_OK) != 0 {
            switch arguments[0] {
            case "enqueue":
                let ids = Set((0..<Int.random(in: 1...20)).map { _ in "s\(Int.random(in: 0..<space))" })
                let requests = try ids.map { try TaskRequest(id: TaskID(validating: $0), queue: queue.name, kind: "send_email") }
                let outcomes = try queue.enqueue(requests, expandingNow: Bool.random())
                let accepted = outcomes.compactMap { if case .accepted(let id) = $0 { "accepted \(id)\n" } else { nil } }
                if !accepted.isEmpty { StandardStream.output.write(accepted.joined()) }
            case "claim":
                guard let lease = try queue.claim() else {
                    _ = queue.waitForArrivals(milliseconds: 20)
                    continue
                }
                let id = lease.task.id.rawValue
                StandardStream.output.line("ran \(id)")
                let replayed = lease.task.history.contains { $0.contains("replayed") }
                if !replayed, let n = Int(id.dropFirst()), n % 7 == 0 {
                    try queue.deadLetter(lease, reason: "HTTP 400 (stress)")
                    StandardStream.output.line("dead \(id)")
                } else {
                    try queue.complete(lease)
                }
            case "replay":
                let replayed = try queue.replayDead(nil)
                if !replayed.isEmpty { StandardStream.output.write(replayed.map { "replayed \($0)\n" }.joined()) }
                usleep(UInt32.random(in: 0...5_000))
            default:
                _ = try queue.recover()
                usleep(UInt32.random(in: 0...5_000))
            }
        }
        return 0
    } catch {
        StandardStream.error.line("spool-stress \(arguments[0]): \(error)")
        return 1
    }
}

private func openQueue(_ root: String, _ name: String, options: SpoolOptions = SpoolOptions()) -> SpoolQueue? {
    do {
        try CurrentProcess.dieWithParent(signal: SIGKILL, expectedParent: getppid())
        return try SpoolQueue(root: root, name: QueueName(validating: name), options: options)
    } catch {
        StandardStream.error.line("cannot open queue \(name) in \(root): \(error)")
        return nil
    }
}

private func usage(_ text: String) -> Int32 {
    StandardStream.error.line("usage: sluice-test-child \(text)")
    return 2
}
