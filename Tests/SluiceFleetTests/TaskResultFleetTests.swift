import Foundation
import Glibc
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing

/// A running fleet keeps each finished task's answer: through the sandbox a
/// Stripe payment's PaymentIntent and an OpenAI completion come back in the
/// task document (API and CLI); a task that goes dead keeps its last answer;
/// and an upstream that echoes the credential leaves it nowhere in what is kept.
@Suite(.serialized) struct TaskResultFleetTests {
    static let secret = "sk_live_echoed_0123456789abcdefXYZ"

    /// `document.result`, or a recorded issue.
    static func result(_ document: JSONObject?, _ label: String) -> JSONObject? {
        guard case .object(let result)? = document?["result"] else {
            Issue.record("\(label): no result in \(String(describing: document))")
            return nil
        }
        return result
    }

    static func string(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    @Test func stripeAndOpenAIAnswers_comeBackThroughTheAPIAndTheCLI() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "50/s"},
             "openai-api": {"provider": "openai", "baseURL": "BASE", "rate": "600/min"}}
            """)
        try fixture.enqueue("stripe-api", [#"{"id":"order-42","kind":"create_payment","payload":{"amount":2000,"currency":"usd"}}"#])
        try fixture.enqueue("openai-api", [#"{"id":"haiku-1","kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":3}}"#])
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["stripe-api", "openai-api"], seconds: 30))
        let payment = try fixture.api("GET", "/v1/tasks/order-42")
        let completion = try fixture.api("GET", "/v1/tasks/haiku-1")
        let (showStatus, shown, _) = try fixture.cli(["task", "show", "order-42"])
        let (jsonStatus, shownJSON, _) = try fixture.cli(["task", "show", "haiku-1", "--json"])
        #expect(try fixture.stopFleet().0 == .exited(0))

        #expect(payment.status == 200 && payment.json?["state"] == .string("done"), "\(payment.message)")
        if let result = Self.result(payment.json, "payment") {
            #expect(result["status"] == .number("200") && result["encoding"] == .string("json") && result["truncated"] == .bool(false))
            guard case .object(let headers)? = result["headers"], case .object(let body)? = result["body"] else {
                Issue.record("payment result: \(result)")
                return
            }
            #expect(Self.string(headers["request-id"])?.hasPrefix("req_") == true, "Stripe's Request-Id: \(headers)")
            #expect(Self.string(headers["content-type"])?.hasPrefix("application/json") == true)
            #expect(Self.string(body["id"])?.hasPrefix("pi_") == true && body["amount"] == .number("2000"), "the PaymentIntent: \(body)")
            #expect(result["attempt"] == .number("1") && Self.string(result["at"]) != nil)
        }
        if let result = Self.result(completion.json, "completion") {
            guard case .object(let headers)? = result["headers"], case .object(let body)? = result["body"],
                  case .array(let choices)? = body["choices"], case .object(let choice)? = choices.first,
                  case .object(let message)? = choice["message"] else {
                Issue.record("completion result: \(result)")
                return
            }
            #expect(Self.string(headers["x-request-id"])?.hasPrefix("req_") == true, "OpenAI's x-request-id: \(headers)")
            #expect(Self.string(message["content"]) == "sandbox sandbox sandbox", "the completion's text: \(message)")
        }
        #expect(showStatus == .exited(0) && shown.contains("  result") && shown.contains("request-id") && shown.contains("\"id\":\"pi_"), "\(shown)")
        let cliDocument = try? JSONParser.parse(Array(shownJSON.utf8))
        guard case .object(let document)? = cliDocument else { Issue.record("task show --json: \(shownJSON)"); return }
        #expect(jsonStatus == .exited(0) && document["state"] == .string("done"))
        #expect(Self.result(document, "cli") == Self.result(completion.json, "api"), "the CLI and the API show the same result")
    }

    @Test func aTaskThatGoesDead_keepsItsLastAnswer() throws {
        let upstream = try HostileUpstream { _ in
            .bytes(HostileUpstream.response(422, [("Content-Type", "application/json"), ("X-Request-Id", "req_refused")],
                                            body: Array(#"{"error":{"code":"invalid_amount","message":"Amount must be positive"}}"#.utf8)))
        }
        defer { upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"refusing-api": {"provider": "http", "baseURL": "\(upstream.baseURL)", "rate": "50/s"}}
            """)
        try fixture.enqueue("refusing-api", [#"{"id": "refused", "kind": "http", "payload": {"method": "POST", "path": "/v1/pay", "body": {"amount": -1}}}"#])
        try fixture.startFleet()
        #expect(ChildProcessRunner.waitUntil(seconds: 20) { (try? fixture.counts("refusing-api").dead) == 1 }, "a 422 is final")
        let shown = try fixture.api("GET", "/v1/tasks/refused")
        #expect(try fixture.stopFleet().0 == .exited(0))
        #expect(shown.json?["state"] == .string("dead"))
        guard let result = Self.result(shown.json, "dead"), case .object(let body)? = result["body"],
              case .object(let error)? = body["error"], case .object(let headers)? = result["headers"] else { return }
        #expect(result["status"] == .number("422") && error["code"] == .string("invalid_amount"))
        #expect(headers["x-request-id"] == .string("req_refused"))
    }

    @Test func anUpstreamThatEchoesTheCredential_leavesItNowhereInTheStoredResult() throws {
        let upstream = try HostileUpstream { request in
            let auth = request.head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("authorization:") } ?? ""
            let value = String(auth.dropFirst(15))
            let key = value.split(separator: " ").last.map(String.init) ?? ""
            // 200, JSON: the credential echoed raw, in a name the shapes know, escaped, and in a kept header.
            let escaped = key.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()
            let body = #"{"ok":true,"seen":"\#(value)","raw":"\#(key)","escaped":"\#(escaped)","headers":{"authorization":"\#(value)"}}"#
            return .bytes(HostileUpstream.response(200, [("Content-Type", "application/json"), ("X-Request-Id", value)], body: Array(body.utf8)))
        }
        defer { upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"echo-api": {"provider": "http", "baseURL": "\(upstream.baseURL)", "rate": "50/s", "credential": "ECHO_API_KEY"}}
            """)
        try fixture.enqueue("echo-api", [#"{"id": "echoed", "kind": "http", "payload": {"method": "POST", "path": "/v1/x", "body": {"n": 1}}}"#])
        try fixture.startFleet(environment: FleetFixture.credentials.merging(["ECHO_API_KEY": Self.secret]) { _, new in new })
        #expect(fixture.waitUntilDrained(["echo-api"], seconds: 20))
        #expect(upstream.requests.first?.head.contains(Self.secret) == true, "the upstream did get the credential")
        let shown = try fixture.api("GET", "/v1/tasks/echoed")
        let (_, taskShow, _) = try fixture.cli(["task", "show", "echoed"])
        let (_, taskJSON, _) = try fixture.cli(["task", "show", "echoed", "--json"])
        #expect(try fixture.stopFleet().0 == .exited(0))
        #expect(shown.json?["state"] == .string("done"))
        let result = Self.result(shown.json, "echo")
        #expect(result?["encoding"] == .string("json") || result?["encoding"] == .string("text"), "\(String(describing: result))")
        let text = String(decoding: shown.body, as: UTF8.self)
        #expect(text.contains("[redacted]") && text.contains("\"ok\""), "\(text)")
        let base64 = Data(Self.secret.utf8).base64EncodedString()
        for form in [Self.secret, base64, "0123456789abcdef"] {
            #expect(HostileUpstreamTests.filesContaining(form, under: fixture.spoolRoot).isEmpty, "the spool holds \(form)")
            #expect(!text.contains(form) && !taskShow.contains(form) && !taskJSON.contains(form), "the API or CLI shows \(form)")
        }
    }

    @Test func aQueueWithResultRetentionZero_forgetsFinishedTasksAsBefore() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "50/s", "resultRetention": "0s"}}
            """)
        try fixture.enqueue("stripe-api", [#"{"id":"order-7","kind":"create_payment","payload":{"amount":700,"currency":"usd"}}"#])
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 30))
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { (try? fixture.api("GET", "/v1/tasks/order-7").status) == 404 },
                "no result kept, and the finished task forgotten at once, as before results")
        #expect(try fixture.stopFleet().0 == .exited(0))
        #expect(try fixture.counts("stripe-api").done == 0)
    }
}
