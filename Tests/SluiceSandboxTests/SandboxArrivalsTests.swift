import Foundation
import SluiceHTTP
@testable import SluiceSandbox
import Testing

/// `GET /__sandbox/arrivals`: every provider request, when it arrived (µs
/// since the start, on the limits' clock) and how it was answered, so a
/// benchmark can count windows itself for any client.
@Suite struct SandboxArrivalsTests {
    @Test func arrivals_recordEachRequestsInstantAndStatus_inArrivalOrder() async throws {
        let sandbox = try TestSandbox(json: #"{"limits": {"stripe.requests": "2/s"}}"#)
        sandbox.advance(milliseconds: 5)
        #expect(await sandbox.send(ProviderRequest.paymentIntent()).status.code == 200)
        sandbox.advance(milliseconds: 250)
        #expect(await sandbox.send(ProviderRequest.paymentIntent()).status.code == 200)
        sandbox.advance(milliseconds: 1)
        #expect(await sandbox.send(ProviderRequest.paymentIntent()).status.code == 429)
        #expect(await sandbox.send(ProviderRequest.paymentIntent(key: nil)).status.code == 401)
        sandbox.advance(milliseconds: 2)
        #expect(await sandbox.send(ProviderRequest.sendgrid()).status.code == 202)

        let arrivals = json(await sandbox.get("/__sandbox/arrivals"))
        #expect(value(arrivals, "unit") as? String == "us")
        #expect(int(arrivals, "omitted") == 0)
        #expect(value(arrivals, "endpoints", "stripe.payment_intents", "at") as? [Int] == [5_000, 255_000, 256_000, 256_000])
        #expect(value(arrivals, "endpoints", "stripe.payment_intents", "status") as? [Int] == [200, 200, 429, 401])
        #expect(value(arrivals, "endpoints", "sendgrid.mail_send", "at") as? [Int] == [258_000])
        #expect(value(arrivals, "endpoints", "sendgrid.mail_send", "status") as? [Int] == [202])
        // Every provider endpoint is present, empty when it saw nothing; the echo route is no provider.
        #expect(value(arrivals, "endpoints", "twilio.messages", "at") as? [Int] == [])
        #expect(value(arrivals, "endpoints", "sandbox.echo") == nil)
    }

    @Test func echo_isNotRecorded_andResetStartsAgainFromZero() async {
        let sandbox = TestSandbox()
        _ = await sandbox.send(ProviderRequest.request("/__sandbox/echo", bearer: nil, contentType: "text/plain", body: "x"))
        _ = await sandbox.send(ProviderRequest.sendgrid())
        sandbox.advance(milliseconds: 3_000)
        #expect(await sandbox.post("/__sandbox/reset", json: "{}").status.code == 200)
        sandbox.advance(milliseconds: 7)
        _ = await sandbox.send(ProviderRequest.chat())
        let arrivals = json(await sandbox.get("/__sandbox/arrivals"))
        #expect(value(arrivals, "endpoints", "sendgrid.mail_send", "at") as? [Int] == [])
        #expect(value(arrivals, "endpoints", "openai.chat_completions", "at") as? [Int] == [7_000])
    }

    @Test func droppedConnection_isRecordedWithStatusZero() async throws {
        let sandbox = try TestSandbox(json: #"{"faults": {"dropRatio": 1}}"#)
        let response = await sandbox.send(ProviderRequest.sms())
        #expect(response.disposition == .dropWithoutAnswer)
        let arrivals = json(await sandbox.get("/__sandbox/arrivals"))
        #expect(value(arrivals, "endpoints", "twilio.messages", "status") as? [Int] == [0])
    }

    @Test func log_beyondItsCapacity_countsWhatItOmits_andKeepsTheFirst() {
        var log = ArrivalLog(capacity: 3)
        for index in 0..<5 { log.record(.stripePaymentIntents, sinceStart: UInt64(index) * 1_000_000, status: 200) }
        log.record(.echo, sinceStart: 0, status: 200)
        #expect(log.count == 3)
        #expect(log.omitted == 2)
        #expect(log.endpoints[.stripePaymentIntents]?.microseconds == [0, 1_000, 2_000])
        #expect(log.endpoints[.echo] == nil)
    }
}
