import Foundation
import SluiceConfig
import Testing
@testable import SluiceProviders

/// What an upstream echoes back never keeps a credential: the queue's own,
/// in every form it is sent, and anything shaped like one.
@Suite struct SecretRedactorTests {
    static let secret = "sk_live_0123456789abcdef"
    let redactor = StripeProvider(baseURL: "https://api.stripe.com").redactor(credential: Secret(secret))

    @Test(arguments: [
        "Authorization: Bearer sk_live_0123456789abcdef",
        #"{"headers":{"Authorization":"Bearer sk_live_0123456789abcdef"}}"#,
        "token c2tfbGl2ZV8wMTIzNDU2Nzg5YWJjZGVm in base64",
        "key=sk_live_0123456789abcdef&x=1",
        #"{"key": "sk_live_0123456789abcdef"}"#,
        "sk_live_0123456789abcdef",
    ])
    func theQueuesCredential_isRemovedInEveryForm(_ text: String) {
        let redacted = redactor.redact(text)
        #expect(!redacted.contains("0123456789abcdef") && !redacted.contains("c2tfbGl2ZV8wMTIzNDU2Nzg5YWJjZGVm"), "\(redacted)")
        #expect(redacted.contains(SecretRedactor.marker))
    }

    @Test(arguments: [
        ("Authorization: Basic QUM0Mjp0b2tlbg==\r\nHost: x", "Authorization: [redacted]\r\nHost: x"),
        ("proxy-authorization=Bearer abc.def-ghi", "proxy-authorization=[redacted]"),
        (#"{"api_key":"live-abcdefgh","n":1}"#, #"{"api_key":"[redacted]","n":1}"#),
        ("X-Api-Key: 1234567890", "X-Api-Key: [redacted]"),
        ("use bearer eyJhbGciOi.eyJzdWIi.sig now", "use bearer [redacted] now"),
        ("openai says sk-proj-AbCdEf0123456789xyz", "openai says [redacted]"),
        ("SG.abcdefgh.ijklmnop is a sendgrid key", "[redacted] is a sendgrid key"),
        (#"password="hunter22""#, #"password="[redacted]""#),
        ("max_tokens: 5, tokens used 7", "max_tokens: 5, tokens used 7"),
        ("invalid token", "invalid token"),
        ("HTTP 500: upstream timed out", "HTTP 500: upstream timed out"),
    ])
    func anythingShapedLikeACredential_isRemoved_andNothingElse(_ text: String, _ expected: String) {
        #expect(SecretRedactor.shapesOnly.redact(text) == expected)
    }

    @Test func twilio_basicValue_isRemoved() {
        let twilio = TwilioProvider(baseURL: "https://api.twilio.com", accountSID: "AC42")
        let redactor = twilio.redactor(credential: Secret("authtoken-xyz"))
        let basic = Data("AC42:authtoken-xyz".utf8).base64EncodedString()
        let echoed = "you sent \(basic) and authtoken-xyz"
        #expect(redactor.redact(echoed) == "you sent [redacted] and [redacted]")
    }

    @Test func bodySnippet_redactsBeforeCutting_soAStraddlingSecretIsFound() {
        let padding = String(repeating: "x", count: ProviderResponse.snippetLength - 10)
        let body = Array("\(padding) \(Self.secret) trailing".utf8)
        let snippet = ProviderResponse(status: 500, headers: [:], body: body, redactor: redactor).bodySnippet
        #expect(!snippet.contains("sk_live_0"), "\(snippet)")
        #expect(snippet.count <= ProviderResponse.snippetLength)
    }

    @Test func bodySnippet_showsControlCharactersAsQuestionMarks() {
        let snippet = ProviderResponse(status: 500, headers: [:], body: Array("a\u{1b}[2Jb\u{9b}c\r\nd\u{7f}".utf8)).bodySnippet
        #expect(snippet == "a?[2Jb?c  d?")
    }
}
