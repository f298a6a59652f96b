import Foundation
import SluiceConfig
import SluiceJSON
import SluiceSpool
import Testing
@testable import SluiceProviders

/// Review attack (final): a provider answer ResultCapture accepts as JSON
/// must be storable and readable back in a task record. A body nested to the
/// parser's own limit (64) is accepted by the capture, but once it sits under
/// the record's `result.body` it is 66 deep and the record no longer parses.
/// FAILS on main at 3708e03 (left failing on purpose).
@Suite struct AttackFinalResultCaptureTests {
    let redactor = StripeProvider(baseURL: "https://api.stripe.com").redactor(credential: Secret("sk_live_0123456789abcdef"))

    @Test(.disabled("known defect, open in issue 13: an answer nested to the parser limit makes its task record unreadable")) func anAnswerNestedToTheParsersLimit_isKeptAsJSON_andItsResultReadsBack() throws {
        let depth = JSONParser.maximumDepth
        let body = Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
        let capture = ResultCapture(headerNames: ResultHeaders.defaults, maximumBodyBytes: 1 << 20, redactor: redactor)
        let kept = capture.result(status: 200, headers: ["Content-Type": "application/json"], body: body, attempt: 1, at: 7)
        guard case .json = kept.body else { Issue.record("capture did not keep it as JSON: \(kept.body.encoding)"); return }
        // The result as it is nested in a task record: {"result": {..., "body": <64 deep>}}.
        let record = JSONValue.object(JSONObject([("result", .object(kept.jsonObject()))]))
        let bytes = JSONWriter.bytes(record)
        let parsed = try? JSONParser.parse(bytes)
        #expect(parsed != nil, "a record holding an answer the capture accepted must parse back")
    }

    /// FAILS on main at 3708e03 (left failing on purpose): an answer over the
    /// limit is redacted in a window of limit + 4096 bytes and then cut at the
    /// limit. Each earlier echo of the credential shrinks to "[redacted]", so
    /// bytes from past the scanned window's end slide under the limit: a
    /// credential the window cut in two (so no exact form matched) is kept
    /// in part (here its first 24 of 32 bytes) in the stored result.
    @Test(.disabled("known defect, open in issue 13: a cut answer can keep part of an unshaped credential")) func aCutAnswer_keepsNoPartOfTheCredential_whenEarlierEchoesShrankTheWindow() {
        let secret = "q7Zk3Pq9Lm2Xv8Rt5Wn1Yb6Hc4Jd0FgA"  // 32 bytes, no known key shape
        let redactor = SecretRedactor(secrets: [secret])
        let limit = 10_000
        var body = Array(String(repeating: secret + " ", count: 300).utf8)      // 9,900 bytes of echoes
        let cutAt = limit + ResultCapture.scanSlack                           // where the scanned window ends
        body += Array(repeating: UInt8(ascii: "."), count: cutAt - 24 - body.count)
        body += Array(secret.utf8)                                            // 24 bytes inside the window, 8 past it
        body += Array(repeating: UInt8(ascii: "."), count: 5_000)
        let capture = ResultCapture(headerNames: [], maximumBodyBytes: limit, redactor: redactor)
        let kept = capture.result(status: 200, headers: ["Content-Type": "text/plain"], body: body, attempt: 1, at: 7)
        #expect(kept.truncated)
        guard case .text(let text) = kept.body else { Issue.record("expected text, got \(kept.body.encoding)"); return }
        #expect(!text.contains(String(secret.prefix(16))), "part of the credential is stored in the result")
    }

    /// FAILS on main at 3708e03 (left failing on purpose): a JSON answer
    /// echoing the credential with a JSON escape (`\u0073k_live_…`) is
    /// re-redacted only when it is kept whole as JSON. Over the limit it is
    /// cut and kept as text, escapes and all: the credential is one JSON
    /// decode away in the stored result (`task show`, the API).
    @Test(.disabled("known defect, open in issue 13: a cut or unparsable JSON answer keeps a JSON-escaped credential")) func aCutJSONAnswer_keepsNoEscapedCredential() {
        let body = Array((#"{"echo":"\u0073k_live_0123456789abcdef","pad":""# + String(repeating: "x", count: 4_000) + #""}"#).utf8)
        let capture = ResultCapture(headerNames: [], maximumBodyBytes: 1_000, redactor: redactor)
        let kept = capture.result(status: 400, headers: ["Content-Type": "application/json"], body: body, attempt: 1, at: 7)
        #expect(kept.truncated)
        guard case .text(let text) = kept.body else { Issue.record("expected text, got \(kept.body.encoding)"); return }
        #expect(!text.contains("0123456789abcdef"), "the escaped credential is stored: \(text.prefix(60))")
    }

    /// FAILS on main at 3708e03 (left failing on purpose): the same escaped
    /// echo in an answer under a JSON type that does not parse (one stray
    /// byte) is kept whole as text, escape and all.
    @Test(.disabled("known defect, open in issue 13: a cut or unparsable JSON answer keeps a JSON-escaped credential")) func anUnparsableJSONAnswer_keepsNoEscapedCredential() {
        let body = Array(#"{"echo":"\u0073k_live_0123456789abcdef",}"#.utf8)
        let capture = ResultCapture(headerNames: [], maximumBodyBytes: 1 << 20, redactor: redactor)
        let kept = capture.result(status: 400, headers: ["Content-Type": "application/json"], body: body, attempt: 1, at: 7)
        guard case .text(let text) = kept.body else { Issue.record("expected text, got \(kept.body.encoding)"); return }
        #expect(!text.contains("0123456789abcdef"), "the escaped credential is stored: \(text)")
    }
}
