import Foundation
import SluiceHTTP
import SluiceSandbox
import Testing

/// Limits on a manual clock: 429 with Retry-After exactly when a window would
/// hold more than the limit allows, never before.
@Suite struct SandboxLimitTests {
    @Test func stripe_hundredFirstRequestInOneSecond_is429_untilTheFirstLeavesTheWindow() async {
        let sandbox = TestSandbox()
        for index in 0..<100 {
            let status = await sandbox.send(ProviderRequest.paymentIntent()).status.code
            if status != 200 { Issue.record("request \(index) got \(status)") }
        }
        let refused = await sandbox.send(ProviderRequest.paymentIntent())
        #expect(refused.status.code == 429)
        #expect(refused.headers["Retry-After"] == "1")
        #expect(refused.headers["Stripe-Should-Retry"] == "true")
        #expect(value(json(refused), "error", "code") as? String == "rate_limit")
        // A request counts for exactly one window width: refused at 999 ms, admitted at 1 s, as Retry-After said.
        sandbox.advance(milliseconds: 999)
        #expect(await sandbox.send(ProviderRequest.paymentIntent()).status.code == 429)
        sandbox.advance(milliseconds: 1)
        #expect(await sandbox.send(ProviderRequest.paymentIntent()).status.code == 200)
    }

    @Test func sendgrid_hundredPerMinute_spacedRequestsPass_andTheExcessWaitsForTheWindow() async {
        let sandbox = TestSandbox()
        for _ in 0..<100 {
            #expect(await sandbox.send(ProviderRequest.sendgrid()).status.code == 202)
            sandbox.advance(milliseconds: 500)
        }
        // Now 50 s after the first: it leaves the window 10 s from now.
        let refused = await sandbox.send(ProviderRequest.sendgrid())
        #expect(refused.status.code == 429)
        #expect(refused.headers["Retry-After"] == "10")
        #expect(refused.headers["X-RateLimit-Remaining"] == "0")
        #expect(refused.headers["X-RateLimit-Reset"] == "\(1_700_000_000 + 50 + 10)")
        sandbox.advance(milliseconds: 10_000)
        #expect(await sandbox.send(ProviderRequest.sendgrid()).status.code == 202)
    }

    @Test func openai_tokensPerMinute_refuseWhatDoesNotFit_butAdmitWhatDoes() async throws {
        let sandbox = try TestSandbox(json: #"{"limits": {"openai.tokens": "100/min"}}"#)
        // 8 bytes → 2 prompt tokens + 58 = 60 tokens each.
        #expect(await sandbox.send(ProviderRequest.chat(content: "12345678", maxTokens: 58)).status.code == 200)
        let refused = await sandbox.send(ProviderRequest.chat(content: "12345678", maxTokens: 58))
        #expect(refused.status.code == 429)
        #expect(value(json(refused), "error", "type") as? String == "tokens")
        #expect(refused.headers["x-ratelimit-remaining-tokens"] == "40")
        #expect(refused.headers["Retry-After"] == "60")
        #expect(await sandbox.send(ProviderRequest.chat(content: "12345678", maxTokens: 38)).status.code == 200)
        let tooLarge = await sandbox.send(ProviderRequest.chat(content: "12345678", maxTokens: 500))
        #expect(tooLarge.status.code == 429)
    }

    @Test func openai_sixtyFirstRequestInAMinute_isRefusedAsRequests() async {
        let sandbox = TestSandbox()
        for _ in 0..<60 {
            #expect(await sandbox.send(ProviderRequest.chat()).status.code == 200)
            sandbox.advance(milliseconds: 100)
        }
        let refused = await sandbox.send(ProviderRequest.chat())
        #expect(refused.status.code == 429)
        #expect(value(json(refused), "error", "type") as? String == "requests")
        #expect(refused.headers["x-ratelimit-remaining-requests"] == "0")
        #expect(refused.headers["x-ratelimit-reset-requests"] == "54s")
    }

    @Test func twilio_limitsEachSendingNumberOnItsOwn_andARefusalChargesNothing() async {
        let sandbox = TestSandbox()
        #expect(await sandbox.send(ProviderRequest.sms(from: "+15550000001")).status.code == 201)
        #expect(await sandbox.send(ProviderRequest.sms(from: "+15550000002")).status.code == 201)
        sandbox.advance(milliseconds: 500)
        let refused = await sandbox.send(ProviderRequest.sms(from: "+15550000001"))
        #expect(refused.status.code == 429 && int(json(refused), "code") == 20429)
        #expect(refused.headers["Retry-After"] == "1")
        // Had the refusal been charged, this would wait until 1.5 s.
        sandbox.advance(milliseconds: 500)
        #expect(await sandbox.send(ProviderRequest.sms(from: "+15550000001")).status.code == 201)
        let stats = await sandbox.stats()
        #expect(int(stats, "twilioNumbers", "+15550000001", "worstWindow") == 2)
        #expect(int(stats, "twilioNumbers", "+15550000002", "worstWindow") == 1)
        #expect(int(stats, "limits", "twilio.per_number", "worstWindow") == 2)
    }

    @Test func unlimited_isNotEnforced() async throws {
        let sandbox = try TestSandbox(json: #"{"limits": {"stripe.requests": "unlimited"}}"#)
        for _ in 0..<300 where await sandbox.send(ProviderRequest.paymentIntent()).status.code != 200 {
            Issue.record("refused while unlimited")
            return
        }
    }

    @Test func stats_worstWindowCountsArrivals_soAClientOverTheLimitShowsIt() async {
        let sandbox = TestSandbox()
        for _ in 0..<103 { _ = await sandbox.send(ProviderRequest.paymentIntent()) }
        let stats = await sandbox.stats()
        #expect(int(stats, "limits", "stripe.requests", "allowed") == 100)
        #expect(int(stats, "limits", "stripe.requests", "worstWindow") == 103)
        #expect(int(stats, "limits", "stripe.requests", "current") == 100)
        #expect(value(stats, "limits", "stripe.requests", "window") as? String == "1s")
        #expect(int(stats, "endpoints", "stripe.payment_intents", "rateLimited") == 3)
        #expect(int(stats, "endpoints", "stripe.payment_intents", "successes") == 100)
    }

    @Test func invalidRequests_doNotReachTheLimit() async {
        let sandbox = TestSandbox()
        for _ in 0..<150 { _ = await sandbox.send(ProviderRequest.paymentIntent(form: "currency=usd")) }
        #expect(await sandbox.send(ProviderRequest.paymentIntent()).status.code == 200)
    }
}
