import Foundation
import Glibc
import SluiceControl
import SluiceJSON
import SluicePOSIX

/// `sluice top`: a live view of every queue, refreshed each second.
let topCommand = Command(
    ["top"],
    summary: "Live view of every queue: rates, backlog, in flight, 429s, schedule-to-start, workers",
    usage: """
        sluice top \(SpoolLocation.usage) \(FleetConnection.usage) [--once]

        Redraws every second from the running fleet's API: configured rate, rate observed over the
        last 10 s, backlog (due + waiting), in flight, 429s received, schedule-to-start p99 over the
        last minute, workers running of desired. With a coordinator, a second line: Redis up or down
        (and why), this host's identity, holds exchanged with the other hosts; a queue it does not
        coordinate says "this host only". q or Ctrl-C quits (the terminal is restored).

          --once          print the table once and exit (no screen control; for scripts)
        \(SpoolLocation.help)
        \(FleetConnection.help)
        """
) { arguments, terminal in
    // Taken synchronously, so Ctrl-C ends the loop and the terminal is restored.
    let signals = SignalQueue([SIGINT, SIGTERM, SIGHUP])
    let location = try SpoolLocation(&arguments)
    let fleet = try FleetConnection(&arguments, location: location)
    let once = arguments.flag("--once")
    try arguments.finish()
    guard let client = fleet.client else {
        throw CommandFailure("no fleet is running on \(location.root.path) (start it with sluice run, or give --server)")
    }
    if once {
        terminal.out(try TopScreen.frame(client: client, now: Date()).joined(separator: "\n"))
        return ExitCode.success
    }
    let screen = RawTerminal()
    defer { screen.restore() }
    while true {
        let lines = (try? TopScreen.frame(client: client, now: Date())) ?? ["sluice top: the fleet at \(client.address) does not answer; retrying each second", "", "q quits"]
        screen.draw(lines)
        let deadline = MonotonicClock.now() + 1_000_000_000
        while MonotonicClock.now() < deadline {
            if signals.next(timeout: 0) != nil { return ExitCode.success }
            if let key = screen.readKey(waitingMilliseconds: 100), key == UInt8(ascii: "q") || key == UInt8(ascii: "Q") || key == 3 {
                return ExitCode.success
            }
        }
    }
}

/// One frame of `sluice top`, as lines.
enum TopScreen {
    static func frame(client: ControlClient, now: Date) throws -> [String] {
        let response = try client.send("GET", "/v1/queues")
        guard response.status == 200, case .array(let queues)? = response.json?["queues"] else {
            throw CommandFailure("the fleet answered \(response.status): \(response.message)")
        }
        return frame(queues: queues, address: "\(client.address)", now: now)
    }

    /// The frame for the queues `GET /v1/queues` listed. With a coordinator,
    /// a second line says how Redis is doing for this host, and a queue
    /// that is not coordinated (unlimited) says "this host only".
    static func frame(queues: [JSONValue], address: String, now: Date) -> [String] {
        let clock = DateFormatter()
        clock.dateFormat = "HH:mm:ss"
        var rows = [["QUEUE", "RATE", "IN FORCE", "OBSERVED", "BACKLOG", "INFLIGHT", "429s", "S2S p99", "WORKERS", ""]]
        for case .object(let queue) in queues {
            let backlog = (queue.integer(at: "backlog", "readyDue") ?? 0) + (queue.integer(at: "backlog", "readyWaiting") ?? 0)
            var notes = queue["paused"] == .bool(true) ? ["paused"] : []
            if case .object(let coordinator)? = queue["coordinator"], coordinator["acrossHosts"] != .bool(true) { notes.append("this host only") }
            rows.append([
                string(queue["name"]), string(queue.value(at: ["rate", "configured"])),
                queue.double(at: "rate", "inForcePerSecond").map { String(format: "%.2f/s", $0) } ?? "-",
                queue.double(at: "rate", "observedPerSecond").map { String(format: "%.1f/s", $0) } ?? "-",
                "\(backlog)", queue.integer(at: "inflight").map(String.init) ?? "-",
                queue.integer(at: "totals", "rateLimited").map(String.init) ?? "-",
                queue.double(at: "scheduleToStart", "p99Seconds").map { String(format: "%.3fs", $0) } ?? "-",
                "\(queue.integer(at: "workers", "running") ?? 0)/\(queue.integer(at: "workers", "desired") ?? 0)",
                notes.joined(separator: ", "),
            ])
        }
        var header = ["sluice top  \(address)  \(clock.string(from: now))   q quits"]
        for case .object(let queue) in queues.prefix(1) {
            if case .object(let coordinator)? = queue["coordinator"] {
                header.append("coordinator " + QueueDescriptionText.summary(coordinator) + " · holds published \(coordinator.integer(at: "holds", "published") ?? 0), applied \(coordinator.integer(at: "holds", "applied") ?? 0)")
            }
        }
        return header + [""] + SpoolFormat.table(rows, numeric: [4, 5, 6]).split(separator: "\n").map(String.init)
    }

    private static func string(_ value: JSONValue?) -> String {
        if case .string(let text)? = value { return text }
        return "-"
    }
}

/// The terminal in raw mode on the alternate screen while `top` runs.
/// `restore()` puts back exactly what was there (mode, screen, cursor).
final class RawTerminal {
    private var saved = termios()
    private let isTerminal = isatty(0) == 1

    init() {
        if isTerminal {
            tcgetattr(0, &saved)
            var raw = saved
            // No line buffering, no echo; signals (Ctrl-C) still work.
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
            withUnsafeMutableBytes(of: &raw.c_cc) { cc in
                cc[Int(VMIN)] = 0
                cc[Int(VTIME)] = 0
            }
            tcsetattr(0, TCSANOW, &raw)
        }
        write("\u{1B}[?1049h\u{1B}[?25l")
    }

    func draw(_ lines: [String]) {
        // The lines come from the fleet's API: escaped, so only these sequences reach the screen.
        write("\u{1B}[H" + lines.map { TerminalText.escaped($0) + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J")
    }

    /// A key pressed within the wait, if any.
    func readKey(waitingMilliseconds: Int32) -> UInt8? {
        var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, waitingMilliseconds) == 1 else { return nil }
        var byte: UInt8 = 0
        return Glibc.read(0, &byte, 1) == 1 ? byte : nil
    }

    func restore() {
        write("\u{1B}[?25h\u{1B}[?1049l")
        if isTerminal { tcsetattr(0, TCSANOW, &saved) }
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = Glibc.write(1, &bytes, bytes.count)
    }
}
