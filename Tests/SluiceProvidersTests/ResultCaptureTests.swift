import Foundation
import SluiceConfig
import SluiceJSON
import SluiceSpool
import Testing
@testable import SluiceProviders

/// How an answer becomes the result kept with its task: JSON as JSON, text as
/// a string, binary as base64, cut at the limit and marked so, only the
/// headers asked for, and never a credential.
@Suite struct ResultCaptureTests {
    static let secret = "sk_live_0123456789abcdef"
    let redactor = StripeProvider(baseURL: "https://api.stripe.com").redactor(credential: Secret(secret))

    func capture(limit: Int = 1 << 20, headers: [String] = ResultHeaders.defaults) -> ResultCapture {
        ResultCapture(headerNames: headers, maximumBodyBytes: limit, redactor: redactor)
    }

    func result(_ body: [UInt8], type: String?, limit: Int = 1 << 20) -> TaskResult {
        capture(limit: limit).result(status: 200, headers: type.map { ["Content-Type": $0] } ?? [:], body: body, attempt: 2, at: 7)
    }

    @Test func aJSONAnswer_isKeptAsJSON_withItsMembersInOrder() throws {
        let kept = result(Array(#"{"id":"pi_123","amount":2000,"status":"succeeded"}"#.utf8), type: "application/json; charset=utf-8")
        #expect(kept.body == .json(.object([("id", .string("pi_123")), ("amount", .number("2000")), ("status", .string("succeeded"))])))
        #expect(kept.bodyBytes == 50 && !kept.truncated && kept.attempt == 2 && kept.status == 200)
    }

    @Test(arguments: [
        ("application/problem+json", true), ("text/json", true), ("text/plain", false), (nil as String?, false),
    ])
    func jsonIsJSON_onlyWhenTheAnswerSaysSo(_ type: String?, _ isJSON: Bool) {
        let kept = result(Array("[1,2]".utf8), type: type)
        #expect(kept.body == (isJSON ? .json(.array([.number("1"), .number("2")])) : .text("[1,2]")))
    }

    @Test func invalidJSON_underAJSONType_isKeptAsText() {
        #expect(result(Array("{\"a\":".utf8), type: "application/json").body == .text("{\"a\":"))
    }

    @Test func utf8Text_isAString_andBinaryIsBase64() {
        #expect(result(Array("héllo\r\n\tworld".utf8), type: "text/plain").body == .text("héllo\r\n\tworld"))
        let binary: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF]
        #expect(result(binary, type: "image/png").body == .base64(Data(binary).base64EncodedString()))
        // Valid UTF-8 with control characters is not text a reader can show.
        #expect(result([0x61, 0x00, 0x62], type: "text/plain").body == .base64("YQBi"))
        #expect(result(Array("a\u{85}b".utf8), type: nil).body == .base64(Data("a\u{85}b".utf8).base64EncodedString()))
    }

    @Test func anEmptyBody_isEmptyText() {
        let kept = result([], type: nil)
        #expect(kept.body == .text("") && kept.bodyBytes == 0 && !kept.truncated)
    }

    @Test func aBodyOverTheLimit_isCutAtACharacterBoundary_andMarkedTruncated() {
        // "é" is two bytes: a cut at 3 would split the second one.
        let kept = result(Array("aéé".utf8), type: "application/json", limit: 4)
        #expect(kept.body == .text("aé") && kept.truncated && kept.bodyBytes == 5)
        let json = result(Array(#"{"id":"x"}"#.utf8), type: "application/json", limit: 5)
        #expect(json.body == .text(#"{"id""#) && json.truncated, "a cut JSON body is not JSON")
        let binary = result([0, 1, 2, 3, 4, 5], type: nil, limit: 4)
        #expect(binary.body == .base64("AAECAw==") && binary.truncated)
    }

    @Test func aLimitOfZero_keepsStatusAndHeadersOnly() {
        let kept = result(Array("hello".utf8), type: "text/plain", limit: 0)
        #expect(kept.body == .text("") && kept.truncated && kept.headers == ["content-type": "text/plain"])
    }

    @Test func onlyTheNamedHeaders_areKept_lowercased() {
        let kept = capture(headers: ["request-id", "Stripe-Version"]).result(
            status: 201, headers: ["Request-Id": "req_1", "stripe-version": "2024-06-20", "X-Other": "no", "Content-Type": "application/json"],
            body: Array("{}".utf8), attempt: 1, at: 0)
        #expect(kept.headers == ["request-id": "req_1", "stripe-version": "2024-06-20"])
        #expect(kept.body == .json(.object([])), "the content type decides the encoding even when it is not kept")
    }

    @Test func theCredential_isNowhereInTheResult_echoedInBodyOrHeader() throws {
        let echoes = [
            #"{"echo":{"Authorization":"Bearer sk_live_0123456789abcdef"}}"#,
            #"{"echo":"\u0073k_live_0123456789abcdef"}"#,
            #"{"\u0073k_live_0123456789abcdef":1}"#,
            "Authorization: Bearer sk_live_0123456789abcdef\r\nHost: api",
        ]
        for (index, echo) in echoes.enumerated() {
            let kept = capture().result(status: 400, headers: ["Content-Type": index < 3 ? "application/json" : "text/plain",
                                                               "X-Request-Id": "Bearer \(Self.secret)"],
                                        body: Array(echo.utf8), attempt: 1, at: 0)
            let stored = JSONWriter.string(.object(kept.jsonObject()))
            #expect(!stored.contains("0123456789abcdef"), "\(stored)")
            #expect(stored.contains(SecretRedactor.marker))
        }
        // Straddling the cut: the whole credential is found before the body is cut.
        let body = Array((String(repeating: "x", count: 10) + " " + Self.secret).utf8)
        let cut = capture(limit: 20).result(status: 200, headers: [:], body: body, attempt: 1, at: 0)
        let stored = JSONWriter.string(.object(cut.jsonObject()))
        #expect(!stored.contains("sk_live_01") && cut.truncated, "\(stored)")
    }

    @Test func anUnreadAnswer_keepsStatusAndHeaders_andSaysSo() {
        let kept = capture().unreadResult(status: 200, headers: ["x-request-id": "req_9"], attempt: 3, at: 5)
        #expect(kept.body == .unread && kept.truncated && kept.bodyBytes == nil && kept.headers == ["x-request-id": "req_9"])
    }

    @Test(arguments: [
        TaskResult.Body.json(.object([("a", .array([.null, .bool(true), .number("1.50")]))])), .text("x\n\"y\""), .base64("AAE="), .unread,
    ])
    func aStoredResult_readsBackExactly(_ body: TaskResult.Body) throws {
        let original = TaskResult(status: 201, headers: ["request-id": "req_1"], body: body, bodyBytes: body == .unread ? nil : 12,
                                  truncated: body == .unread, attempt: 4, receivedAt: 1_763_717_400_123_000_000)
        let bytes = JSONWriter.bytes(.object(original.jsonObject()))
        #expect(try TaskResult(parsing: JSONParser.parse(bytes)) == original)
    }
}
