import Foundation
import Glibc
import SluicePOSIX
import SluiceTestSupport
import Testing

/// The sandbox judges a request at the instant it reached its socket (the
/// kernel's stamp), not when the sandbox got round to reading it: a busy or
/// stalled sandbox must not make requests look closer together than they
/// came, or every test judged from arrivals would blame the fleet for it.
@Suite struct SandboxArrivalStampTests {
    @Test func aStalledSandbox_recordsTheArrival_notTheRead() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}}"#)
        let connection = try TestHTTPConnection(port: fixture.port)
        kill(fixture.sandbox.pid, SIGSTOP)
        let sentAt = MonotonicClock.now()
        connection.send(TestHTTPConnection.requestBytes(
            "POST", "/v1/payment_intents",
            headers: [("Authorization", "Bearer sk_test_e2e"), ("Content-Type", "application/x-www-form-urlencoded"), ("Connection", "close")],
            body: Array("amount=100&currency=usd".utf8)))
        usleep(400_000)
        kill(fixture.sandbox.pid, SIGCONT)
        let answer = connection.readResponse()
        #expect(answer?.status == 200, "\(String(describing: answer))")
        let arrivals = try fixture.arrivals("stripe.payment_intents")
        #expect(arrivals.instants.count == 1)
        let recorded = try #require(arrivals.instants.first)
        // Read 400 ms later; recorded (µs resolution) within 100 ms of the send.
        #expect(recorded + 1_000 >= sentAt && recorded < sentAt + 100_000_000,
                "recorded \(Double(Int64(recorded) - Int64(sentAt)) / 1e6) ms after the send")
    }
}
