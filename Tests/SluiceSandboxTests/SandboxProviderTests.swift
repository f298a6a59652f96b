import Foundation
import SluiceHTTP
import SluiceSandbox
import Testing

/// Each provider's happy path, and its auth and validation errors in its own shape.
@Suite struct SandboxProviderTests {
    @Test func sendgrid_validMail_is202WithEmptyBodyAndRateLimitHeaders() async {
        let response = await TestSandbox().send(ProviderRequest.sendgrid())
        #expect(response.status.code == 202)
        #expect(response.body.isEmpty)
        #expect(response.headers["X-RateLimit-Limit"] == "100")
        #expect(response.headers["X-RateLimit-Remaining"] == "99")
        #expect(response.headers["X-Message-Id"]?.count == 22)
    }

    @Test func sendgrid_withoutKey_is401_andBadPayloadIs400NamingEveryField() async {
        let sandbox = TestSandbox()
        #expect(await sandbox.send(ProviderRequest.sendgrid(key: nil)).status.code == 401)
        let response = await sandbox.send(ProviderRequest.sendgrid(body: #"{"personalizations":[{"to":[{"email":"nope"}]}],"subject":"s","content":[{"type":"text/plain","value":"v"}]}"#))
        #expect(response.status.code == 400)
        let fields = (json(response)["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(fields == ["personalizations.0.to.0.email", "from.email"])
    }

    @Test func stripe_paymentIntent_isAJSONObjectWithAPiID() async {
        let response = await TestSandbox().send(ProviderRequest.paymentIntent(form: "amount=1500&currency=EUR&metadata[order]=42"))
        let object = json(response)
        #expect(response.status.code == 200)
        #expect((object["id"] as? String)?.hasPrefix("pi_") == true)
        #expect(object["object"] as? String == "payment_intent")
        #expect(int(object, "amount") == 1500)
        #expect(object["currency"] as? String == "eur")
        #expect(value(object, "metadata", "order") as? String == "42")
        #expect(response.headers["Request-Id"]?.hasPrefix("req_") == true)
    }

    @Test func stripe_errors_nameTheParamAndSayWhetherToRetry() async {
        let sandbox = TestSandbox()
        let unauthenticated = await sandbox.send(ProviderRequest.paymentIntent(key: nil))
        #expect(unauthenticated.status.code == 401)
        #expect(unauthenticated.headers["Stripe-Should-Retry"] == "false")
        #expect(await sandbox.send(ProviderRequest.paymentIntent(key: "pk_live_nope")).status.code == 401)
        let missing = await sandbox.send(ProviderRequest.paymentIntent(form: "currency=usd"))
        #expect(missing.status.code == 400)
        #expect(value(json(missing), "error", "param") as? String == "amount")
        #expect(value(json(missing), "error", "code") as? String == "parameter_missing")
        let notInteger = await sandbox.send(ProviderRequest.paymentIntent(form: "amount=ten&currency=usd"))
        #expect(value(json(notInteger), "error", "code") as? String == "parameter_invalid_integer")
    }

    @Test func stripe_refund_ofAKnownIntent_defaultsToItsAmount_andRefusesMore() async {
        let sandbox = TestSandbox()
        let intent = json(await sandbox.send(ProviderRequest.paymentIntent(form: "amount=700&currency=gbp")))["id"] as? String ?? ""
        let refund = json(await sandbox.send(ProviderRequest.refund(form: "payment_intent=\(intent)")))
        #expect((refund["id"] as? String)?.hasPrefix("re_") == true)
        #expect(int(refund, "amount") == 700)
        #expect(refund["currency"] as? String == "gbp")
        #expect(refund["payment_intent"] as? String == intent)
        let tooMuch = await sandbox.send(ProviderRequest.refund(form: "payment_intent=\(intent)&amount=701"))
        #expect(value(json(tooMuch), "error", "code") as? String == "amount_too_large")
        #expect(await sandbox.send(ProviderRequest.refund(form: "amount=5")).status.code == 400)
    }

    @Test func openai_completion_reportsUsageAndRateLimitHeaders() async {
        let response = await TestSandbox().send(ProviderRequest.chat(content: "123456789", maxTokens: 7))
        let object = json(response)
        #expect(response.status.code == 200)
        #expect((object["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        // 9 bytes of prompt → 3 tokens; the completion uses max_tokens.
        #expect(int(object, "usage", "prompt_tokens") == 3)
        #expect(int(object, "usage", "completion_tokens") == 7)
        #expect(int(object, "usage", "total_tokens") == 10)
        #expect(response.headers["x-ratelimit-limit-requests"] == "60")
        #expect(response.headers["x-ratelimit-remaining-requests"] == "59")
        #expect(response.headers["x-ratelimit-remaining-tokens"] == "89990")
        #expect(response.headers["x-ratelimit-reset-requests"] == "1m0s")
    }

    @Test func openai_errors_areInvalidRequestErrorsNamingTheParam() async {
        let sandbox = TestSandbox()
        let unauthenticated = await sandbox.send(ProviderRequest.chat(key: nil))
        #expect(unauthenticated.status.code == 401)
        #expect(value(json(unauthenticated), "error", "type") as? String == "invalid_request_error")
        let noModel = await sandbox.send(ProviderRequest.chat(model: ""))
        #expect(value(json(noModel), "error", "param") as? String == "model")
        let zero = await sandbox.send(ProviderRequest.chat(maxTokens: 0))
        #expect(value(json(zero), "error", "code") as? String == "integer_below_min_value")
        let notJSON = await sandbox.send(ProviderRequest.request("/v1/chat/completions", bearer: "sk-x", contentType: "application/json", body: "{"))
        #expect(notJSON.status.code == 400)
    }

    @Test func twilio_message_is201WithAnSMSid() async {
        let response = await TestSandbox().send(ProviderRequest.sms(body: "hello there"))
        let object = json(response)
        #expect(response.status.code == 201)
        #expect((object["sid"] as? String)?.hasPrefix("SM") == true && (object["sid"] as? String)?.count == 34)
        #expect(object["status"] as? String == "queued")
        #expect(object["from"] as? String == "+15550001111")
        #expect(object["account_sid"] as? String == "AC123")
    }

    @Test func twilio_errors_carryTwilioErrorCodes() async {
        let sandbox = TestSandbox()
        let unauthenticated = await sandbox.send(ProviderRequest.sms(user: nil))
        #expect(unauthenticated.status.code == 401 && int(json(unauthenticated), "code") == 20003)
        #expect(await sandbox.send(ProviderRequest.sms(user: "AC999")).status.code == 401)
        #expect(int(json(await sandbox.send(ProviderRequest.sms(to: ""))), "code") == 21604)
        #expect(int(json(await sandbox.send(ProviderRequest.sms(from: ""))), "code") == 21603)
        #expect(int(json(await sandbox.send(ProviderRequest.sms(body: ""))), "code") == 21602)
        #expect(int(json(await sandbox.send(ProviderRequest.sms(to: "5551234"))), "code") == 21211)
    }

    @Test func requiredKeys_whenConfigured_refuseOthers() async throws {
        let sandbox = try TestSandbox(json: #"{"keys": {"sendgrid": "SG.right", "twilio": "AC123:secret"}}"#)
        #expect(await sandbox.send(ProviderRequest.sendgrid(key: "SG.wrong")).status.code == 401)
        #expect(await sandbox.send(ProviderRequest.sendgrid(key: "SG.right")).status.code == 202)
        #expect(await sandbox.send(ProviderRequest.sms(password: "token")).status.code == 401)
        #expect(await sandbox.send(ProviderRequest.sms(password: "secret")).status.code == 201)
    }

    @Test func echo_isUnlimitedAndReturnsTheBody() async {
        let sandbox = TestSandbox()
        for index in 0..<500 {
            let response = await sandbox.send(ProviderRequest.request("/__sandbox/echo", bearer: nil, contentType: "text/plain", body: "n\(index)"))
            if response.status.code != 200 || response.body != Array("n\(index)".utf8) { Issue.record("echo \(index) failed"); return }
        }
    }

    @Test func unknownRouteIs404_andWrongMethodIs405() async {
        let sandbox = TestSandbox()
        #expect(await sandbox.get("/v2/nothing").status.code == 404)
        #expect(await sandbox.get("/v1/payment_intents").status.code == 405)
    }
}
