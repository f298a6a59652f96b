// libFuzzer target: what a server's answer tells the worker to wait:
// `Retry-After` (RetryAfter, StatusRules) and OpenAI's `x-ratelimit-reset-*`
// (OpenAIProvider.classify). Built by scripts/fuzz.sh.
//
// The input is: one byte choosing the status, then up to three header values
// separated by newlines: Retry-After, x-ratelimit-reset-requests,
// x-ratelimit-reset-tokens (the matching remaining-* header says "0").
//
// Properties, each a trap when violated:
// - no header value crashes the classification (it runs in every worker);
// - no server can make a worker wait, or hold its queue back, longer than
//   `StatusRules.longestServerDelay`;
// - a Retry-After that parses means what it says: delta-seconds exactly, a
//   decimal to rounding, and an HTTP-date names the same instant when
//   printed again as an IMF-fixdate.
@testable import SluiceProviders
import Glibc

private let statuses = [200, 201, 400, 404, 408, 409, 425, 429, 500, 502, 503, 504]
private let wallClockNow = 1_763_715_600 // 2025-11-21T09:00:00Z
private let provider = OpenAIProvider(baseURL: "http://127.0.0.1:1")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRetryAfter(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let selector = bytes.first else { return 0 }
    let values = String(decoding: bytes.dropFirst(), as: UTF8.self)
        .split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    var headers: [String: String] = [:]
    for (name, value) in zip(["retry-after", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"], values) {
        headers[name] = value
    }
    headers["x-ratelimit-remaining-requests"] = "0"
    headers["x-ratelimit-remaining-tokens"] = "0"
    let response = ProviderResponse(status: statuses[Int(selector) % statuses.count], headers: headers, body: [])
    for classification in [
        StatusRules.classify(response, retryBound: 600_000_000_000, wallClockNow: wallClockNow),
        provider.classify(response, retryBound: 600_000_000_000, wallClockNow: wallClockNow),
    ] {
        check(classification)
    }
    if let value = values.first { checkMeaning(value) }
    return 0
}

private func check(_ classification: Classification) {
    require((classification.pushBack ?? 0) <= StatusRules.longestServerDelay, "a server held the queue back too long")
    if case .retry(let delay?, _, _) = classification.outcome {
        require(delay <= StatusRules.longestServerDelay, "a server made the task wait too long")
    }
}

private func checkMeaning(_ value: String) {
    guard let delay = RetryAfter.delay(value, wallClockNow: wallClockNow) else { return }
    let text = value.trimmingSpaces
    if let seconds = UInt64(text), text.allSatisfy({ $0.isASCII && $0.isNumber }) {
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        require(delay == (overflow ? .max : nanoseconds), "delta-seconds \(text) gave \(delay) ns")
        return
    }
    if text.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == UInt8(ascii: ".") }), let seconds = Double(text) {
        // A decimal (`1.5`): read exactly, so it agrees with its Double to rounding.
        let expected = seconds * 1e9
        require(expected >= 1.8e19 || abs(Double(delay) - expected) <= 2 + expected * 1e-12, "decimal \(text) gave \(delay) ns")
        return
    }
    guard let instant = RetryAfter.httpDate(text) else { violated("\"\(text)\" is neither form, yet gave a delay") }
    require(RetryAfter.httpDate(imfFixdate(instant)) == instant, "\"\(text)\" and \(imfFixdate(instant)) disagree")
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` for `seconds` since the epoch.
private func imfFixdate(_ seconds: Int) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    var buffer = [CChar](repeating: 0, count: 64)
    let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
