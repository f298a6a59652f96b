import Glibc
import SluicePOSIX

/// What the supervisor tells systemd (`Type=notify`), and when:
/// `READY=1` once, the first time every queue's workers are running;
/// `STATUS=` with each queue's backlog (the control plane's sampled
/// counts), looked at most every `statusInterval` and sent only when it changed; `WATCHDOG=1` every half
/// `WatchdogSec=`; `STOPPING=1` when the drain begins.
///
/// Invariant: READY=1 is never sent after STOPPING=1, and a message that
/// could not be sent (systemd busy) is tried again on the next loop turn.
final class SystemdSession {
    let notifier: SystemdNotifier
    private(set) var readySent = false
    private var lastStatus = ""
    private var nextStatusCheck: UInt64 = 0
    private var nextWatchdog: UInt64 = 0
    private var failureLogged = false

    /// How often STATUS= is composed.
    static let statusInterval: UInt64 = 2_000_000_000

    init(notifier: SystemdNotifier) { self.notifier = notifier }

    /// The session systemd asked for, or nil outside a `Type=notify` unit.
    /// Reads (and removes, see `SystemdNotifier`) the variables: call it
    /// before any worker is spawned. A malformed variable is logged, and the
    /// fleet runs without notifying (systemd will then time the start out
    /// and say why in the journal, next to this line).
    static func fromEnvironment(log: EventLog) -> SystemdSession? {
        do {
            guard let notifier = try SystemdNotifier.fromEnvironment() else { return nil }
            log.info("systemd.notify", ("socket", notifier.address.description),
                     ("watchdog_ms", notifier.watchdogTimeout.map { "\($0 / 1_000_000)" } ?? "off"))
            return SystemdSession(notifier: notifier)
        } catch {
            log.error("systemd.notify_unusable", ("error", "\(error)"))
            return nil
        }
    }

    /// Sends `lines`; true if delivered. The first failure is logged, later
    /// ones are not (a vanished systemd would otherwise fill the log).
    func send(_ lines: [String], log: EventLog) -> Bool {
        do {
            try notifier.send(lines)
            return true
        } catch {
            if !failureLogged { log.warn("systemd.notify_failed", ("error", "\(error)")) }
            failureLogged = true
            return false
        }
    }

    func markReady() { readySent = true }

    /// True (and due again in half the timeout) when a WATCHDOG=1 is due.
    func watchdogDue(now: UInt64) -> Bool {
        guard let timeout = notifier.watchdogTimeout, now >= nextWatchdog else { return false }
        nextWatchdog = now + timeout / 2
        return true
    }

    /// True (and due again in `statusInterval`) when the backlog should be counted.
    func statusCheckDue(now: UInt64) -> Bool {
        guard now >= nextStatusCheck else { return false }
        nextStatusCheck = now + Self.statusInterval
        return true
    }

    /// Remembers `status`; true if it differs from the last one sent.
    func statusChanged(_ status: String) -> Bool {
        guard status != lastStatus else { return false }
        lastStatus = status
        return true
    }

    /// Forgets the last status, so the same text is sent again (after a failed send).
    func statusNotSent() { lastStatus = "" }
}

extension Supervisor {
    /// Once per loop turn: READY=1, STATUS= and WATCHDOG=1 when due. No-op
    /// outside systemd.
    func notifySystemd() {
        guard let systemd else { return }
        let now = MonotonicClock.now()
        var lines: [String] = []
        if draining == nil, !systemd.readySent, allWorkersRunning { lines.append("READY=1") }
        if systemd.statusCheckDue(now: now), draining == nil {
            let status = "STATUS=" + statusLine()
            if systemd.statusChanged(status) { lines.append(status) }
        }
        if systemd.watchdogDue(now: now) { lines.append("WATCHDOG=1") }
        guard !lines.isEmpty else { return }
        if systemd.send(lines, log: log) {
            if lines.contains("READY=1") {
                systemd.markReady()
                log.info("systemd.ready")
            }
        } else if lines.contains(where: { $0.hasPrefix("STATUS=") }) {
            systemd.statusNotSent()
        }
    }

    /// At the start of the drain: STOPPING=1 and a status saying so.
    func notifySystemdStopping() {
        guard let systemd else { return }
        _ = systemd.send(["STOPPING=1", "STATUS=draining: \(workers.filter { $0.pid != nil }.count) workers finishing"], log: log)
    }

    /// True when every queue has all its worker processes running (none
    /// waiting for a restart, none given up on): what `/readyz` requires too.
    var allWorkersRunning: Bool {
        !workers.isEmpty && workerTallies().values.allSatisfy { $0.running >= $0.desired }
    }

    /// `workers 10/10; stripe-api: 12 due, 3 scheduled, 4 in flight; …`:
    /// what `systemctl status sluice` shows on its `Status:` line. The
    /// backlog is the control plane sampler's (counted off this loop).
    func statusLine() -> String {
        let tallies = workerTallies()
        var parts = ["workers \(tallies.values.reduce(0) { $0 + $1.running })/\(tallies.values.reduce(0) { $0 + $1.desired })"]
        for queue in config.queues {
            if let counts = controlPlane.backlog(of: queue.name.rawValue) {
                parts.append("\(queue.name.rawValue): \(counts.readyDue + counts.journaled) due, \(counts.readyWaiting) scheduled, \(counts.leased) in flight")
            } else {
                parts.append("\(queue.name.rawValue): spool unreadable")
            }
        }
        return parts.joined(separator: "; ")
    }
}
