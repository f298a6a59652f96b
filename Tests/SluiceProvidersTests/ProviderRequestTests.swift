import SluiceConfig
import SluiceJSON
import Testing
@testable import SluiceProviders

func task(_ kind: String, _ json: String, id: String = "task-1") throws -> ProviderTask {
    guard case .object(let payload) = try JSONParser.parse(Array(json.utf8)) else { throw TaskRejected("not an object") }
    return ProviderTask(id: id, kind: kind, payload: payload)
}

@Suite struct ProviderRequestTests {
    let key = Secret("sk_test_123")

    @Test func sendgrid_postsTheMailObjectWithBearer() throws {
        let request = try SendGridProvider(baseURL: "https://api.sendgrid.com").request(
            for: task("send_email", #"{"personalizations":[{"to":[{"email":"a@b.c"}]}],"from":{"email":"x@y.z"},"subject":"Hi"}"#),
            credential: key)
        #expect(request.method == "POST" && request.url == "https://api.sendgrid.com/v3/mail/send")
        #expect(request.header("authorization") == "Bearer sk_test_123" && request.header("content-type") == "application/json")
        #expect(String(decoding: request.body, as: UTF8.self).hasPrefix(#"{"personalizations":"#))
    }

    @Test func stripe_formEncodesWithTheTaskIdAsIdempotencyKey() throws {
        let stripe = StripeProvider(baseURL: "https://api.stripe.com")
        let create = try stripe.request(for: task("create_payment", #"{"amount":2000,"currency":"usd","metadata":{"order":"42 & co"}}"#, id: "pay-7"), credential: key)
        #expect(create.url == "https://api.stripe.com/v1/payment_intents" && create.header("idempotency-key") == "pay-7")
        #expect(String(decoding: create.body, as: UTF8.self) == "amount=2000&currency=usd&metadata%5Border%5D=42%20%26%20co")
        let refund = try stripe.request(for: task("refund_payment", #"{"payment_intent":"pi_1"}"#), credential: key)
        #expect(refund.url == "https://api.stripe.com/v1/refunds" && refund.header("content-type") == "application/x-www-form-urlencoded")
    }

    @Test func openai_postsTheCompletionAndEstimatesTokens() throws {
        let openai = OpenAIProvider(baseURL: "https://api.openai.com")
        let generate = try task("generate_text", #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"12345678"}],"max_tokens":100}"#)
        #expect(try openai.request(for: generate, credential: key).url == "https://api.openai.com/v1/chat/completions")
        #expect(openai.estimatedCost(of: generate) == 102) // 8 bytes → 2 tokens, + 100
        let unbounded = try task("generate_text", #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"abcd"}]}]}"#)
        #expect(openai.estimatedCost(of: unbounded) == 1 + OpenAIProvider.defaultMaxTokens)
    }

    @Test(arguments: ["8000", "8000.0", "8e3", "8E+3", "0.8e4"])
    func openai_readsMaxTokensHoweverJSONWritesIt(_ literal: String) throws {
        let openai = OpenAIProvider(baseURL: "https://api.openai.com")
        let generate = try task("generate_text", #"{"model":"m","messages":[{"role":"user","content":"12345678"}],"max_tokens":\#(literal)}"#)
        #expect(openai.estimatedCost(of: generate) == 8002, "\(literal) is 8,000 tokens, as OpenAI counts it")
        #expect(throws: Never.self) { try openai.request(for: generate, credential: key) }
    }

    @Test(arguments: ["8000.5", "-1", "0", "1e400", "\"8000\"", "true"])
    func openai_refusesAMaxTokensThatIsNotAWholeNumber(_ literal: String) throws {
        let openai = OpenAIProvider(baseURL: "https://api.openai.com")
        let generate = try task("generate_text", #"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":\#(literal)}"#)
        #expect(throws: TaskRejected("payload.max_tokens: must be a whole number of tokens, at least 1")) {
            try openai.request(for: generate, credential: key)
        }
    }

    @Test func twilio_usesBasicAuthWithTheAccountSID() throws {
        let request = try TwilioProvider(baseURL: "https://api.twilio.com", accountSID: "AC42").request(
            for: task("send_sms", #"{"To":"+15550100","From":"+15550199","Body":"hi"}"#), credential: Secret("tok"))
        #expect(request.url == "https://api.twilio.com/2010-04-01/Accounts/AC42/Messages.json")
        #expect(request.header("authorization") == "Basic QUM0Mjp0b2s=") // AC42:tok
        #expect(String(decoding: request.body, as: UTF8.self) == "To=%2B15550100&From=%2B15550199&Body=hi")
    }

    @Test func http_sendsMethodPathHeadersAndBodyToTheBaseURL() throws {
        let request = try HTTPProvider(baseURL: "http://127.0.0.1:9000/api").request(
            for: task("http", #"{"method":"PUT","path":"/things/7?x=1","headers":{"X-Trace":"abc"},"body":{"n":1}}"#), credential: nil)
        #expect(request.method == "PUT" && request.url == "http://127.0.0.1:9000/api/things/7?x=1")
        #expect(request.header("x-trace") == "abc" && request.header("content-type") == "application/json")
        #expect(request.body == Array(#"{"n":1}"#.utf8) && request.header("authorization") == nil)
    }

    @Test(arguments: [
        "http://evil.example/x", "//evil.example/x", "evil.example/x", "/x@evil.example", "/a\\b", "/a b",
        "/a\r\nHost: evil", "/../admin", "/a/../../b", "/ü", "/x#frag", "",
    ])
    func aTask_cannotChooseTheHost(_ path: String) throws {
        let payload = JSONValue.object({ var o = JSONObject(); o["path"] = .string(path); return o }())
        guard case .object(let object) = payload else { return }
        #expect(throws: TaskRejected.self) {
            try HTTPProvider(baseURL: "https://api.example.com").request(for: ProviderTask(id: "t", kind: "http", payload: object), credential: nil)
        }
    }

    @Test(arguments: [
        ("http", #"{"path":"/x","headers":{"Host":"evil"}}"#, "payload.headers.Host: is set by Sluice, not by tasks"),
        ("http", #"{"path":"/x","headers":{"Authorization":"Bearer mine"}}"#, "payload.headers.Authorization: is set by Sluice, not by tasks"),
        ("http", #"{"path":"/x","method":"TRACE"}"#, "payload.method: must be one of DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"),
        ("send_sms", #"{"path":"/x"}"#, #"kind: "send_sms" is not a kind this queue's provider sends; use http"#),
    ])
    func badHTTPTasks_areRejectedNamingTheField(_ kind: String, _ json: String, _ reason: String) throws {
        let error = try #require(throws: TaskRejected.self) {
            try HTTPProvider(baseURL: "https://api.example.com").request(for: task(kind, json), credential: nil)
        }
        #expect(error.reason == reason)
    }

    @Test func missingFields_areRejectedNamingThem() throws {
        let error = try #require(throws: TaskRejected.self) {
            try TwilioProvider(baseURL: "https://api.twilio.com", accountSID: "AC1").request(for: task("send_sms", #"{"To":"+1"}"#), credential: nil)
        }
        #expect(error.reason == "payload.From: is required for send_sms")
    }

    @Test func secrets_neverAppearInTheRedactedForm() throws {
        let request = try StripeProvider(baseURL: "https://api.stripe.com").request(
            for: task("create_payment", #"{"amount":1,"currency":"usd"}"#), credential: key)
        #expect(!request.redacted.contains("sk_test") && request.redacted == "POST https://api.stripe.com/v1/payment_intents")
    }
}
