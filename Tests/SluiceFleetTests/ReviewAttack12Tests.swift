import Foundation
import SluicePOSIX
import SluiceTestSupport
import Testing

/// Review of issue 12 (the edge guard), attacked on 127.0.0.1.
@Suite(.serialized) struct ReviewAttack12Tests {
    /// A request too late at the prerequest hook is aborted, and libcurl
    /// closes the connection it had just opened for it. When opening a
    /// connection takes longer than ¾ of the guard (a distant provider's
    /// TLS handshake; here a SOCKS5 hop of 300 ms), every booking was aborted
    /// on its fresh connection and booked again, for ever: the queue sent
    /// nothing. A request too late at its gate now books a new instant there
    /// and waits for it on the connection it has (`Worker.rebookAtGate`).
    @Test func aConnectionSlowerThanTheGuard_doesNotKeepEveryRequestUnsent() throws {
        let upstream = try HostileUpstream(socksDelay: 0.3) { _ in .bytes(HostileUpstream.response(200, body: Array("{}".utf8))) }
        defer { upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"slow-api": {"provider": "http", "baseURL": "http://api.example", "rate": "5/s", "retry": {"maximumAttempts": 3}}}
            """)
        try fixture.enqueue("slow-api", (1...3).map { #"{"id": "t\#($0)", "kind": "http", "payload": {"method": "GET", "path": "/t\#($0)"}}"# })
        var environment = FleetFixture.credentials
        environment["ALL_PROXY"] = "socks5h://127.0.0.1:\(upstream.port)"
        try fixture.startFleet(environment: environment)
        let done = ChildProcessRunner.waitUntil(seconds: 20) {
            guard let counts = try? fixture.counts("slow-api") else { return false }
            return counts.readyDue + counts.readyWaiting + counts.leased + counts.dead == 0
        }
        #expect(done, "all three tasks done through a 300 ms connection setup (requests received: \(upstream.requests.count))")
        #expect(upstream.requests.count == 3)
        #expect(try fixture.stopFleet().0 == .exited(0))
    }
}
