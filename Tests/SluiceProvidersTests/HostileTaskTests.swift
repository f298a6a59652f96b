import SluiceConfig
import SluiceJSON
import Testing
@testable import SluiceProviders

/// What a task can put in front of a provider: paths that climb out of the
/// base URL once decoded, header bytes that split a request, and numbers at
/// their limits. Each is refused or saturates; none traps.
@Suite struct HostileTaskTests {
    private func httpTask(path: String) -> ProviderTask {
        var payload = JSONObject()
        payload["path"] = .string(path)
        return ProviderTask(id: "t", kind: "http", payload: payload)
    }

    @Test(arguments: [
        "/%2e%2e/admin", "/.%2e/admin", "/%2E%2e/admin", "/a/%2e%2E/b", "/..;/admin", "/a/..;x/b", "/a;jsessionid=1/b",
        "/%252e%252e/admin", "/a/%2e/b", "/a/./b", "/./a", "/a/%2fadmin", "/a/%2F..%2F/b", "/a%5c..%5cb", "/a%3b/b",
        "/a%00b", "/a%0d%0aHost:%20evil", "/a%7f", "/%", "/a%2", "/a%zz", "/a/..",
    ])
    func path_thatClimbsOnceDecoded_isRefused(_ path: String) {
        #expect(throws: TaskRejected.self) {
            try HTTPProvider(baseURL: "https://api.example.com/v1").request(for: httpTask(path: path), credential: nil)
        }
    }

    @Test(arguments: ["/things/7", "/a.b/c..d", "/x/...", "/q?x=../y&z=%2e", "/name%20with%20space", "/%25", "/caf%C3%A9", "/a/b/"])
    func path_thatStaysUnderTheBase_isSentAsWritten(_ path: String) throws {
        let request = try HTTPProvider(baseURL: "https://api.example.com/v1").request(for: httpTask(path: path), credential: nil)
        #expect(request.url == "https://api.example.com/v1" + path)
    }

    @Test func path_refusal_namesTheFieldAndTheFix() throws {
        let error = try #require(throws: TaskRejected.self) {
            try HTTPProvider(baseURL: "https://api.example.com").request(for: httpTask(path: "/a/%2e%2e/b"), credential: nil)
        }
        #expect(error.reason.hasPrefix("payload.path: \"/a/%2e%2e/b\" "), "\(error.reason)")
    }

    /// Each is one `Character` or a byte a Character check misses.
    @Test(arguments: ["a\r\nX-Injected: 1", "\r\n", "a\rb", "a\nb", "a\u{0}b", "a\u{1}b", "a\u{7f}b", "a\u{85}b", "a\u{9b}31m", "\u{1b}[2J"])
    func headerValue_withAControlCharacter_isRefused(_ value: String) throws {
        var headers = JSONObject()
        headers["X-Trace"] = .string(value)
        var payload = JSONObject()
        payload["path"] = .string("/x")
        payload["headers"] = .object(headers)
        let error = try #require(throws: TaskRejected.self) {
            try HTTPProvider(baseURL: "https://api.example.com").request(for: ProviderTask(id: "t", kind: "http", payload: payload), credential: nil)
        }
        #expect(error.reason.hasPrefix("payload.headers.X-Trace: may not contain control characters"))
    }

    @Test(arguments: ["X\r\nY", "X Y", "X:Y", "Ünï", "", String(repeating: "a", count: 300)])
    func headerName_notATokenByBytes_isRefused(_ name: String) throws {
        var headers = JSONObject()
        headers[name] = .string("v")
        var payload = JSONObject()
        payload["path"] = .string("/x")
        payload["headers"] = .object(headers)
        #expect(throws: TaskRejected.self) {
            try HTTPProvider(baseURL: "https://api.example.com").request(for: ProviderTask(id: "t", kind: "http", payload: payload), credential: nil)
        }
    }

    @Test func headerValue_withTabAndNonControlUnicode_isSent() throws {
        let request = try HTTPProvider(baseURL: "https://api.example.com").request(
            for: task("http", #"{"path":"/x","headers":{"X-Note":"a\tb é"}}"#), credential: nil)
        #expect(request.header("x-note") == "a\tb é")
    }

    @Test(arguments: [
        ("18446744073709551615", UInt64?(UInt64.max)), ("9223372036854775807", UInt64(Int64.max) + 3),
        ("18446744073709551616", nil), ("1e400", nil), ("-1", nil), ("0", nil), ("1.5", nil), ("-1e400", nil),
    ])
    func openai_maxTokensAtTheLimits_saturatesOrIsRefusedAndNeverTraps(_ literal: String, _ expected: UInt64?) throws {
        // The prompt is 12 bytes: 3 tokens.
        let generate = try task("generate_text", #"{"model":"m","messages":[{"role":"user","content":"123456789012"}],"max_tokens":\#(literal)}"#)
        let openai = OpenAIProvider(baseURL: "https://api.openai.com")
        if let expected {
            #expect(openai.estimatedCost(of: generate) == expected, "a whole number: charged, saturating")
        } else {
            // OpenAI answers 400 to anything but a whole number ≥ 1 (and one above 2⁶⁴ − 1 cannot be charged).
            #expect(throws: TaskRejected.self) { try openai.request(for: generate, credential: nil) }
        }
    }
}
