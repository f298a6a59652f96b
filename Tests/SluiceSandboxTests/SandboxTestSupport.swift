import Foundation
import SluiceHTTP
import SluiceSandbox
import SluiceTestSupport

/// Requests shaped like the fleet's workers send them.
enum ProviderRequest {
    static func sendgrid(key: String? = "SG.test", body: String = #"{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"me@example.com"},"subject":"Hi","content":[{"type":"text/plain","value":"Hello"}]}"#) -> HTTPRequest {
        request("/v3/mail/send", bearer: key, contentType: "application/json", body: body)
    }

    static func paymentIntent(key: String? = "sk_test_1", form: String = "amount=2000&currency=usd", idempotencyKey: String? = nil) -> HTTPRequest {
        var request = request("/v1/payment_intents", bearer: key, contentType: "application/x-www-form-urlencoded", body: form)
        if let idempotencyKey { request.headers.add("Idempotency-Key", idempotencyKey) }
        return request
    }

    static func refund(form: String, idempotencyKey: String? = nil) -> HTTPRequest {
        var request = request("/v1/refunds", bearer: "sk_test_1", contentType: "application/x-www-form-urlencoded", body: form)
        if let idempotencyKey { request.headers.add("Idempotency-Key", idempotencyKey) }
        return request
    }

    static func chat(key: String? = "sk-test", content: String = "12345678", maxTokens: Int? = 10, model: String = "gpt-4o-mini") -> HTTPRequest {
        let max = maxTokens.map { #","max_tokens":\#($0)"# } ?? ""
        return request("/v1/chat/completions", bearer: key, contentType: "application/json",
                       body: #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(content)"}]\#(max)}"#)
    }

    static func sms(sid: String = "AC123", user: String? = "AC123", password: String = "token", from: String = "+15550001111",
                    to: String = "+15559998888", body: String = "hello") -> HTTPRequest {
        var request = HTTPRequest(method: "POST", target: "/2010-04-01/Accounts/\(sid)/Messages.json",
                                  headers: ["Host": "sandbox", "Content-Type": "application/x-www-form-urlencoded"],
                                  body: Array(FormURLEncoded.encode([("To", to), ("From", from), ("Body", body)]).utf8))
        if let user { request.headers.add("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()) }
        return request
    }

    static func request(_ path: String, method: String = "POST", bearer: String?, contentType: String, body: String) -> HTTPRequest {
        var headers: HTTPHeaders = ["Host": "sandbox", "Content-Type": contentType]
        if let bearer { headers.add("Authorization", "Bearer \(bearer)") }
        return HTTPRequest(method: method, target: path, headers: headers, body: Array(body.utf8))
    }
}

/// A sandbox on a manual clock, driven through its HTTP handler (routing included).
struct TestSandbox {
    let clock = ManualClock(1_000_000_000_000)
    let sandbox: Sandbox
    let handler: HTTPHandler

    init(_ configuration: SandboxConfiguration = SandboxConfiguration()) {
        sandbox = Sandbox(configuration: configuration, clock: clock, epochSecondsAtStart: 1_700_000_000)
        handler = sandbox.handler
    }

    init(json: String) throws {
        try self.init(SandboxConfiguration(json: Array(json.utf8)))
    }

    func send(_ request: HTTPRequest) async -> HTTPResponse { await handler(request) }

    func get(_ path: String) async -> HTTPResponse { await handler(HTTPRequest(method: "GET", target: path, headers: ["Host": "sandbox"])) }

    func post(_ path: String, json: String) async -> HTTPResponse {
        await handler(ProviderRequest.request(path, bearer: nil, contentType: "application/json", body: json))
    }

    /// The stats as decoded JSON.
    func stats() async -> [String: Any] { json(await get("/__sandbox/stats")) }

    func advance(milliseconds: UInt64) { clock.advance(by: milliseconds * 1_000_000) }
}

/// The body of `response` as a JSON object (empty if it is not one).
func json(_ response: HTTPResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
}

/// `object[a][b][c]…` for nested JSON objects.
func value(_ object: [String: Any], _ path: String...) -> Any? {
    var current: Any? = object
    for key in path { current = (current as? [String: Any])?[key] }
    return current
}

func int(_ object: [String: Any], _ path: String...) -> Int? {
    var current: Any? = object
    for key in path { current = (current as? [String: Any])?[key] }
    return (current as? NSNumber)?.intValue
}
