import Foundation
import SluiceHTTP
import SluiceSandbox
import SluiceTestSupport
import Testing

/// Stripe's Idempotency-Key, and the faults the sandbox injects.
@Suite struct SandboxIdempotencyAndFaultTests {
    @Test func idempotencyKey_repeated_returnsTheFirstAnswerByteForByte_andCountsADuplicate() async {
        let sandbox = TestSandbox()
        let first = await sandbox.send(ProviderRequest.paymentIntent(idempotencyKey: "task-1"))
        sandbox.advance(milliseconds: 5_000)
        let second = await sandbox.send(ProviderRequest.paymentIntent(idempotencyKey: "task-1"))
        #expect(first.status.code == 200 && second.status.code == 200)
        #expect(first.body == second.body)
        #expect(second.headers["Idempotent-Replayed"] == "true")
        let other = await sandbox.send(ProviderRequest.paymentIntent(idempotencyKey: "task-2"))
        #expect(json(other)["id"] as? String != json(first)["id"] as? String)
        let stats = await sandbox.stats()
        #expect(int(stats, "endpoints", "stripe.payment_intents", "duplicates") == 1)
        #expect(int(stats, "endpoints", "stripe.payment_intents", "successes") == 2)
    }

    @Test func idempotencyKey_withOtherParameters_isAnIdempotencyError() async {
        let sandbox = TestSandbox()
        _ = await sandbox.send(ProviderRequest.paymentIntent(form: "amount=100&currency=usd", idempotencyKey: "k"))
        let clash = await sandbox.send(ProviderRequest.paymentIntent(form: "amount=200&currency=usd", idempotencyKey: "k"))
        #expect(clash.status.code == 400)
        #expect(value(json(clash), "error", "type") as? String == "idempotency_error")
    }

    @Test func idempotencyKey_ofAFailedRequest_isNotKept() async {
        let sandbox = TestSandbox()
        #expect(await sandbox.send(ProviderRequest.paymentIntent(form: "currency=usd", idempotencyKey: "k")).status.code == 400)
        let retried = await sandbox.send(ProviderRequest.paymentIntent(idempotencyKey: "k"))
        #expect(retried.status.code == 200 && retried.headers["Idempotent-Replayed"] == nil)
    }

    @Test func forced429_answersTheNextKRequestsOfItsEndpointWithRetryAfter() async {
        let sandbox = TestSandbox()
        let set = await sandbox.post("/__sandbox/faults", json: #"{"force429": [{"endpoint": "stripe.refunds", "count": 2, "retryAfter": 2}]}"#)
        #expect(set.status.code == 200)
        #expect(await sandbox.send(ProviderRequest.paymentIntent()).status.code == 200)
        for _ in 0..<2 {
            let forced = await sandbox.send(ProviderRequest.refund(form: "payment_intent=pi_x"))
            #expect(forced.status.code == 429 && forced.headers["Retry-After"] == "2")
        }
        #expect(await sandbox.send(ProviderRequest.refund(form: "payment_intent=pi_x")).status.code == 200)
        #expect(int(await sandbox.stats(), "endpoints", "stripe.refunds", "rateLimited") == 2)
        #expect((json(await sandbox.get("/__sandbox/faults"))["force429"] as? [Any])?.isEmpty == true)
    }

    @Test func errorRatioOne_answersEveryListedEndpointWithItsProvidersError() async {
        let sandbox = TestSandbox()
        _ = await sandbox.post("/__sandbox/faults", json: #"{"errorRatio": 1, "errorStatus": 503, "endpoints": ["stripe.payment_intents", "openai.chat_completions"]}"#)
        let stripe = await sandbox.send(ProviderRequest.paymentIntent())
        #expect(stripe.status.code == 503 && stripe.headers["Stripe-Should-Retry"] == "true")
        #expect(value(json(stripe), "error", "type") as? String == "api_error")
        #expect(value(json(await sandbox.send(ProviderRequest.chat())), "error", "type") as? String == "server_error")
        #expect(await sandbox.send(ProviderRequest.sendgrid()).status.code == 202)
        #expect(int(await sandbox.stats(), "endpoints", "stripe.payment_intents", "serverErrors") == 1)
    }

    @Test func errorRatio_isDrawnFromTheSeed_andHitsItsShare() async throws {
        let sandbox = try TestSandbox(json: #"{"limits": {"openai.requests": "unlimited", "openai.tokens": "unlimited"}, "faults": {"errorRatio": 0.3}, "seed": 7}"#)
        var errors = 0
        for _ in 0..<1_000 where await sandbox.send(ProviderRequest.chat()).status.code == 500 { errors += 1 }
        #expect((240...360).contains(errors), "\(errors) of 1000")
    }

    @Test func dropRatioOne_closesWithoutAnswer() async {
        let sandbox = TestSandbox()
        _ = await sandbox.post("/__sandbox/faults", json: #"{"dropRatio": 1}"#)
        #expect(await sandbox.send(ProviderRequest.sendgrid()).disposition == .dropWithoutAnswer)
        #expect(int(await sandbox.stats(), "endpoints", "sendgrid.mail_send", "dropped") == 1)
        // The sandbox's own routes are never faulted.
        #expect(await sandbox.get("/__sandbox/stats").status.code == 200)
    }

    @Test func latency_holdsTheAnswer() async {
        let sandbox = TestSandbox()
        _ = await sandbox.post("/__sandbox/faults", json: #"{"latency": "150ms"}"#)
        let started = ContinuousClock.now
        _ = await sandbox.send(ProviderRequest.sendgrid())
        #expect(ContinuousClock.now - started >= .milliseconds(150))
    }

    @Test func invalidFaultPlan_is400NamingTheField_andChangesNothing() async {
        let sandbox = TestSandbox()
        let ratio = await sandbox.post("/__sandbox/faults", json: #"{"errorRatio": 2}"#)
        #expect(ratio.status.code == 400)
        #expect((json(ratio)["error"] as? String)?.contains("faults.errorRatio") == true)
        let typo = await sandbox.post("/__sandbox/faults", json: #"{"errRatio": 0.5}"#)
        #expect((json(typo)["error"] as? String)?.contains("faults.errRatio") == true)
        let endpoint = await sandbox.post("/__sandbox/faults", json: #"{"force429": [{"endpoint": "stripe", "count": 1}]}"#)
        #expect((json(endpoint)["error"] as? String)?.contains("faults.force429[0].endpoint") == true)
        #expect(await sandbox.send(ProviderRequest.sendgrid()).status.code == 202)
    }

    @Test func faultPlan_isEchoedByteForByte_inItsOwnFieldOrder() async {
        let sandbox = TestSandbox()
        let set = await sandbox.post("/__sandbox/faults", json: #"{"force429": [{"endpoint": "openai.chat_completions", "count": 3, "retryAfter": 2}], "endpoints": ["stripe.refunds", "openai.chat_completions"], "latency": "200ms", "dropRatio": 0.05, "errorStatus": 503, "errorRatio": 1e-7}"#)
        let echo = #"{"errorRatio":1e-07,"errorStatus":503,"dropRatio":0.05,"latency":"200ms","endpoints":["openai.chat_completions","stripe.refunds"],"force429":[{"endpoint":"openai.chat_completions","count":3,"retryAfter":2}]}"#
        #expect(String(decoding: set.body, as: UTF8.self) == echo)
        #expect(String(decoding: await sandbox.get("/__sandbox/faults").body, as: UTF8.self) == echo)
    }

    @Test func faultPlan_withARepeatedField_isRefused() async {
        let sandbox = TestSandbox()
        let repeated = await sandbox.post("/__sandbox/faults", json: #"{"errorRatio": 0.1, "errorRatio": 1}"#)
        #expect(repeated.status.code == 400)
        #expect(json(await sandbox.get("/__sandbox/faults"))["errorRatio"] as? Double == 0)
    }

    @Test func reset_clearsCountersWindowsAndKeys() async {
        let sandbox = TestSandbox()
        for _ in 0..<101 { _ = await sandbox.send(ProviderRequest.paymentIntent()) }
        let first = await sandbox.send(ProviderRequest.paymentIntent(idempotencyKey: "k"))
        #expect(first.status.code == 429)
        #expect(await sandbox.post("/__sandbox/reset", json: "{}").status.code == 200)
        let stats = await sandbox.stats()
        #expect(int(stats, "endpoints", "stripe.payment_intents", "requests") == 0)
        #expect(int(stats, "limits", "stripe.requests", "worstWindow") == 0)
        #expect(await sandbox.send(ProviderRequest.paymentIntent(idempotencyKey: "k")).headers["Idempotent-Replayed"] == nil)
    }
}
