import Foundation
import Glibc
import SluicePOSIX
import SluiceTestSupport
import Testing

/// sd_notify: the parsing of systemd's variables as data, one datagram over a
/// real socket, and `sluice run` black-box with the test playing systemd.
@Suite(.serialized) struct SystemdNotifyTests {
    @Test(arguments: [
        ("/run/systemd/notify", NotifySocketAddress.path("/run/systemd/notify")),   // the usual one
        ("@sluice-test", .abstract("sluice-test")),                                  // abstract: no file
        ("relative/notify", nil),                                                     // never relative
        ("@", nil),                                                                   // an empty abstract name
        ("vsock:2:1234", nil),                                                        // systemd ≥ 253 only; not ours
        ("/" + String(repeating: "a", count: 107), nil),                              // 108 bytes + NUL: too long
        ("/" + String(repeating: "a", count: 106), .path("/" + String(repeating: "a", count: 106))), // 107: fits
    ] as [(String, NotifySocketAddress?)])
    func notifySocket_acceptsPathsAndAbstractNamesOnly(text: String, expected: NotifySocketAddress?) {
        #expect((try? NotifySocketAddress(parsing: text)) == expected)
    }

    @Test(arguments: [
        ("500000", nil, 500_000_000),        // WatchdogSec=0.5s, no pid: for us
        ("500000", "4242", 500_000_000),     // the pid is ours
        ("500000", "4243", nil),             // inherited from the unit's main process: not ours
        (nil, "4242", nil),                  // no watchdog at all
    ] as [(String?, String?, UInt64?)])
    func watchdog_isOursOnlyWhenThePidMatches(usec: String?, pid: String?, expected: UInt64?) throws {
        #expect(try WatchdogSetting.parse(usec: usec, pid: pid, ownPID: 4242) == expected)
    }

    @Test(arguments: [("0", nil), ("-5", nil), ("1s", nil), ("500000", "zero")] as [(String, String?)])
    func watchdog_refusesValuesThatAreNotNumbers(usec: String, pid: String?) {
        #expect(throws: NotifyEnvironmentError.self) { try WatchdogSetting.parse(usec: usec, pid: pid, ownPID: 4242) }
    }

    @Test func notifier_sendsOneDatagramOfLinesToAnAbstractSocket() throws {
        let listener = try NotifyListener(abstractName: "sluice-notify-\(UniqueName.fleet())")
        let notifier = try SystemdNotifier(address: NotifySocketAddress(parsing: listener.environmentValue), watchdogTimeout: nil)
        try notifier.send(["READY=1", "STATUS=two lines, one datagram"])
        #expect(listener.receive(seconds: 5) { $0.count == 1 })
        #expect(listener.messages.first?.lines == ["READY=1", "STATUS=two lines, one datagram"])
    }

    @Test func notifier_reportsAMissingSocketInsteadOfBlocking() throws {
        let files = try ScratchDirectory(label: "notify")
        let notifier = try SystemdNotifier(address: .path(files.file("absent.sock")), watchdogTimeout: nil)
        #expect(throws: SystemError.self) { try notifier.send(["READY=1"]) }
    }

    /// The test is systemd: it binds the notify socket, starts `sluice run`
    /// with `NOTIFY_SOCKET` and `WATCHDOG_USEC`, and checks what arrives and
    /// in which order: READY=1 (only once every worker runs), WATCHDOG=1 at
    /// half the timeout, STATUS= with each queue's backlog (again when it
    /// changes), then STOPPING=1 on SIGTERM, and never READY after it.
    @Test func sluiceRun_underSystemd_sendsReadyWatchdogStatusThenStopping() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "10/s", "processes": 2},
             "sendgrid-api": {"provider": "sendgrid", "baseURL": "BASE", "rate": "10/s"}}
            """)
        // Due in 2099: a backlog that stays exactly where it is while the test looks.
        try fixture.enqueue("stripe-api", Self.scheduledPayments(3, prefix: "early"))
        let listener = try NotifyListener(path: fixture.files.file("notify.sock"))
        let watchdogTimeout: UInt64 = 1_000_000_000
        try fixture.startFleet(environment: FleetFixture.credentials.merging([
            "NOTIFY_SOCKET": listener.environmentValue, "WATCHDOG_USEC": "\(watchdogTimeout / 1_000)",
        ]) { $1 })

        let backlog = "stripe-api: 0 due, 3 scheduled, 0 in flight; sendgrid-api: 0 due, 0 scheduled, 0 in flight"
        #expect(listener.receive(seconds: 15) { messages in
            let ready = messages.firstIndex { $0.has("READY=1") }
            return ready != nil && messages[ready!...].filter { $0.has("WATCHDOG=1") }.count >= 4
                && messages.contains { $0.status == "workers 3/3; \(backlog)" }
        }, "READY, four watchdog pings and the backlog: \(listener.messages.map(\.lines))")

        // READY=1 only after the supervisor started every worker.
        let events = fixture.fleetLog.compactMap(LoggedEvent.init)
        let readyAt = try #require(events.firstIndex { $0.name == "systemd.ready" })
        let started = events.indices.filter { events[$0].name == "worker.started" && events[$0].fields["component"] == "supervisor" }
        #expect(started.count == 3 && started.allSatisfy { $0 < readyAt })
        #expect(listener.messages.filter { $0.has("READY=1") }.count == 1)

        // Pings at half the timeout: never late enough for systemd to kill us, never twice as often.
        let pings = listener.messages.filter { $0.has("WATCHDOG=1") }.map(\.at)
        for (earlier, later) in zip(pings, pings.dropFirst()) {
            let gap = later - earlier
            #expect(gap >= watchdogTimeout * 2 / 5 && gap < watchdogTimeout, "ping gap \(gap / 1_000_000) ms")
        }

        // Workers inherit neither the socket's name nor the watchdog.
        for pid in started.compactMap({ events[$0].fields["pid"] }) {
            let environment = readProcEnvironment(pid)
            #expect(environment != nil && !environment!.contains { $0.hasPrefix("NOTIFY_SOCKET=") || $0.hasPrefix("WATCHDOG_") },
                    "worker \(pid) environment")
        }

        // The backlog grows: STATUS= follows within the status interval, and
        // an unchanged status is never sent twice in a row.
        try fixture.enqueue("stripe-api", Self.scheduledPayments(2, prefix: "late"))
        #expect(listener.receive(seconds: 8) { $0.contains { $0.status?.contains("stripe-api: 0 due, 5 scheduled") == true } })
        let statuses = listener.messages.compactMap(\.status)
        #expect(zip(statuses, statuses.dropFirst()).allSatisfy { $0 != $1 }, "\(statuses)")

        let (status, _) = try fixture.stopFleet()
        #expect(status == .exited(0))
        listener.receive(seconds: 0.5) { _ in false } // whatever is still queued on the socket
        let stopping = try #require(listener.firstIndex(of: "STOPPING=1"), "\(listener.messages.map(\.lines))")
        let ready = try #require(listener.firstIndex(of: "READY=1"))
        #expect(ready < stopping)
        #expect(listener.messages[stopping].status?.hasPrefix("draining") == true)
        #expect(!listener.messages[stopping...].contains { $0.has("READY=1") }, "no READY after STOPPING")
    }

    static func scheduledPayments(_ count: Int, prefix: String) -> [String] {
        (0..<count).map {
            #"{"id":"\#(prefix)-\#($0)","kind":"create_payment","notBefore":"2099-01-01T00:00:00Z","payload":{"amount":100,"currency":"usd"}}"#
        }
    }
}

/// `/proc/<pid>/environ` as `NAME=value` entries; nil if the process is gone.
private func readProcEnvironment(_ pid: String) -> [String]? {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
    return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
}
