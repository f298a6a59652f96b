import Foundation
import SluicePOSIX
import SluiceTestSupport
import Synchronization
import Testing

/// A running fleet against an upstream (written here, on 127.0.0.1) whose
/// rate-limit headers are hostile: numbers past 64 bits, `NaN`, broken
/// structured fields, a 1 KiB value. No worker may trap on them (a trap is a
/// queue stopped); a wait that does not read is skipped for the next header,
/// and one past every bound is capped at a day.
@Suite(.serialized) struct HostileWaitHeadersTests {
    @Test func hostileWaitAndBudgetHeaders_neverTrapAWorker_andTheFinestReadableWaitIsObeyed() throws {
        let answered = Mutex<[String: Int]>([:])
        let upstream = try HostileUpstream { request in
            let count = answered.withLock { seen -> Int in
                seen[request.path, default: 0] += 1
                return seen[request.path] ?? 1
            }
            let junk = String(repeating: "9", count: 1_024)
            switch (request.path, count) {
            case ("/unreadable", 1):
                // Nothing reads but the decimal Retry-After: 250 ms, an attempt not spent.
                return .bytes(HostileUpstream.response(429, [
                    ("retry-after-ms", "NaN"), ("x-retry-after-ms", junk), ("x-ratelimit-remaining-requests", "0"),
                    ("x-ratelimit-reset-requests", "  s"), ("RateLimit", #""default;r=0;t=1"#), ("RateLimit-Policy", "\u{1}"),
                    ("Retry-After", "0.25"), ("X-Quota-Left", "-1"),
                ]))
            case ("/past-64-bits", 1):
                // A wait past 64-bit nanoseconds: capped at a day, which is over the policy's bound, so it spends the only attempt.
                return .bytes(HostileUpstream.response(429, [("retry-after-ms", "99999999999999999999999"), ("X-Quota-Left", "18446744073709551616")]))
            default:
                return .bytes(HostileUpstream.response(200, [("X-Quota-Left", "0"), ("X-Quota-Reset", "1e400"), ("RateLimit", junk)], body: Array("{}".utf8)))
            }
        }
        defer { upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        // The capped wait holds its own queue for a day: it gets a queue of its own.
        try fixture.configure(queues: """
            {"hostile-api": {"provider": "http", "baseURL": "\(upstream.baseURL)", "rate": "50/s", "retry": {"maximumAttempts": 1},
                             "budgetHeaders": {"remaining": "X-Quota-Left", "reset": "X-Quota-Reset", "resetFormat": "seconds"}},
             "capped-api": {"provider": "http", "baseURL": "\(upstream.baseURL)", "rate": "50/s", "retry": {"maximumAttempts": 1},
                            "budgetHeaders": {"remaining": "X-Quota-Left"}}}
            """)
        try fixture.enqueue("hostile-api", ["unreadable", "fine"].map { #"{"id": "\#($0)", "kind": "http", "payload": {"method": "GET", "path": "/\#($0)"}}"# })
        try fixture.enqueue("capped-api", [#"{"id": "past-64-bits", "kind": "http", "payload": {"method": "GET", "path": "/past-64-bits"}}"#])
        try fixture.startFleet()
        #expect(ChildProcessRunner.waitUntil(seconds: 30) {
            guard let hostile = try? fixture.counts("hostile-api"), let capped = try? fixture.counts("capped-api") else { return false }
            return hostile.readyDue + hostile.readyWaiting + hostile.leased + hostile.dead == 0 && capped.dead == 1
        }, "both hostile-api tasks done; the capped one dead after its only attempt")
        let past = try fixture.api("GET", "/v1/tasks/past-64-bits").json?["lastError"]
        #expect(try fixture.stopFleet().0 == .exited(0))

        let events = fixture.fleetLog.compactMap(LoggedEvent.init)
        #expect(!events.contains { $0.name == "worker.restarting" }, "no worker died")
        let pushes = events.filter { $0.name == "queue.pushed_back" }
        #expect(pushes.contains { $0.fields["from"] == "retry-after" && $0.fields["for_ms"] == "250" }, "\(pushes.map(\.fields))")
        #expect(pushes.contains { $0.fields["from"] == "retry-after-ms" && $0.fields["for_ms"] == "86400000" }, "\(pushes.map(\.fields))")
        if case .string(let reason)? = past { #expect(reason.hasPrefix("attempt 1 of 1 failed: HTTP 429"), "\(reason)") } else { Issue.record("no lastError") }
    }
}
