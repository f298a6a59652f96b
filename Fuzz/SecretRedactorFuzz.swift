// libFuzzer target: what an upstream can make Sluice keep of its answer
// (SecretRedactor, ProviderResponse.bodySnippet), in SluiceProviders. Built
// by scripts/fuzz.sh.
//
// The input is a body; the queue's secret is put into it at a place the
// input's first byte chooses, in a form its second byte chooses (as sent,
// after "Bearer ", base64, JSON-escaped, percent-encoded).
//
// Properties, each a trap when violated:
// - nothing traps;
// - the snippet never holds the secret, in any of those forms, wherever it
//   was put (also straddling the snippet's cut);
// - the snippet is at most `snippetLength` characters, on one line, with no
//   control character;
// - text without a secret or credential shape is left as it was.
import Foundation
@testable import SluiceConfig
@testable import SluiceProviders

private let secret = "sk_live_Zq9/x+Y2w=0123456789"
private let redactor = StripeProvider(baseURL: "https://api.stripe.com").redactor(credential: Secret(secret))
private let forms = [
    secret, "Bearer " + secret, Data(secret.utf8).base64EncodedString(), secret.replacingOccurrences(of: "/", with: "\\/"),
    secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret,
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSecretRedactor(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let form = forms[Int(bytes[1]) % forms.count]
    var body = Array(bytes.dropFirst(2))
    let at = min(body.count, Int(bytes[0]) * 2)
    body.insert(contentsOf: Array(form.utf8), at: at)
    let snippet = ProviderResponse(status: 500, headers: [:], body: body, redactor: redactor).bodySnippet
    for shown in forms.map(\.self) + [String(secret.dropFirst(8))] {
        require(!snippet.contains(shown), "the snippet holds the secret as \(shown): \(snippet)")
    }
    require(snippet.count <= ProviderResponse.snippetLength, "the snippet is longer than its cut")
    require(!snippet.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "a control character in the snippet")
    // Plain words stay as they were.
    let plain = String(decoding: bytes.dropFirst(2).filter { (0x61...0x7A).contains($0) || $0 == 0x20 }, as: UTF8.self)
    let words = plain.split(separator: " ").filter { !["bearer", "basic", "digest", "token"].contains($0) }.joined(separator: " ")
    require(SecretRedactor.shapesOnly.redact(words) == words, "text with no credential shape was changed: \(words)")
    return 0
}
