// libFuzzer target: the result Sluice keeps of an answer (ResultCapture in
// SluiceProviders) and the task-file parser that reads it back
// (TaskResult(parsing:) in SluiceSpool). Built by scripts/fuzz.sh.
//
// The input's first byte picks the content type and the limit; the rest is
// the body, with the queue's secret put in at a place the second byte chooses.
//
// Properties, each a trap when violated:
// - nothing traps;
// - the stored result never holds the secret (raw, base64 of the raw body aside);
// - a result reads back from its stored JSON exactly (the parser accepts what
//   the writer writes, and changes nothing);
// - the body kept is at most the limit (text and JSON by their bytes,
//   base64 by what it decodes to), and `truncated` says whether it was cut;
// - the raw input, read as a stored result, is refused or read without trapping.
import Foundation
@testable import SluiceConfig
@testable import SluiceJSON
@testable import SluiceProviders
@testable import SluiceSpool

private let secret = "sk_live_Zq9x0123456789abcdef"
private let redactor = StripeProvider(baseURL: "https://api.stripe.com").redactor(credential: Secret(secret))
private let types: [String?] = ["application/json", "text/plain", nil, "application/problem+json", "image/png"]
private let limits = [0, 1, 7, 64, 1 << 20]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResultCapture(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Whatever the bytes, as a stored result: refused or read, never a trap.
    if let value = try? JSONParser.parse(bytes) { _ = try? TaskResult(parsing: value) }
    guard bytes.count >= 2 else { return 0 }
    let type = types[Int(bytes[0]) % types.count]
    let limit = limits[Int(bytes[0] / 8) % limits.count]
    var body = Array(bytes.dropFirst(2))
    body.insert(contentsOf: Array(secret.utf8), at: min(body.count, Int(bytes[1])))
    let capture = ResultCapture(headerNames: ResultHeaders.defaults, maximumBodyBytes: limit, redactor: redactor)
    let result = capture.result(status: 200, headers: type.map { ["Content-Type": $0, "X-Request-Id": secret] } ?? [:],
                                body: body, attempt: 1, at: 1_763_717_400_000_000_000)
    let stored = JSONWriter.bytes(.object(result.jsonObject()))
    require(!String(decoding: stored, as: UTF8.self).contains(secret), "the stored result holds the secret")
    guard let parsed = try? TaskResult(parsing: JSONParser.parse(stored)) else { violated("a stored result does not read back") }
    require(parsed == result, "a stored result reads back changed")
    require(result.truncated == (body.count > limit), "truncated is \(result.truncated) for \(body.count) bytes at \(limit)")
    switch result.body {
    case .text(let text): require(text.utf8.count <= limit, "text longer than the limit")
    case .base64(let text):
        let decoded = Data(base64Encoded: text)
        require(decoded != nil && decoded!.count <= limit, "base64 that is not, or longer than the limit")
    case .json: require(!result.truncated && ResultCapture.saysJSON(type), "JSON kept from a cut body or a non-JSON type")
    case .unread: violated("a read body kept as unread")
    }
    return 0
}
