// libFuzzer target: the most precise wait and the budget a server's answer
// states (ProviderWait, RateBudget, RateLimitField, HeaderNumber), through
// StatusRules and the OpenAI and http providers as the worker calls them.
// Built by scripts/fuzz.sh.
//
// The input is: one byte choosing the status (low bits) and the `http`
// queue's configured reset format (high bits), then up to 14 header values
// separated by newlines, for the names in `names` in that order.
//
// Properties, each a trap when violated:
// - no header value crashes the classification (it runs in every worker);
// - no server can make a worker wait, hold its queue back, or report a
//   budget reset longer than `StatusRules.longestServerDelay`;
// - the finest header wins: a `retry-after-ms` that reads decides the wait,
//   and a plain whole number of milliseconds means exactly that many;
// - a decimal read by `HeaderNumber.scaled` agrees with its `Double` value
//   (to rounding), and a Go duration as the sandbox writes it reads back
//   within half a millisecond.
@testable import SluiceProviders
import SluiceConfig
import SluiceCore

private let statuses = [200, 201, 400, 408, 429, 500, 503, 504]
private let wallClockNow = 1_763_715_600 // 2025-11-21T09:00:00Z
private let names = [
    "retry-after-ms", "x-retry-after-ms", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
    "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens", "ratelimit", "ratelimit-policy", "ratelimit-remaining",
    "ratelimit-reset", "retry-after", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-limit",
]
private let openAI = OpenAIProvider(baseURL: "http://127.0.0.1:1")
private let formats = BudgetHeaders.ResetFormat.allCases

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProviderWait(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let selector = bytes.first else { return 0 }
    let values = String(decoding: bytes.dropFirst(), as: UTF8.self)
        .split(separator: "\n", maxSplits: names.count - 1, omittingEmptySubsequences: false).map(String.init)
    var headers: [String: String] = [:]
    for (name, value) in zip(names, values) where !value.isEmpty { headers[name] = value }
    let response = ProviderResponse(status: statuses[Int(selector) % statuses.count], headers: headers, body: [])
    let configured = BudgetHeaders(remaining: "x-ratelimit-remaining", limit: "x-ratelimit-limit", reset: "x-ratelimit-reset",
                                   resetFormat: formats[Int(selector >> 4) % formats.count])
    let http = HTTPProvider(baseURL: "http://127.0.0.1:1", budgetHeaders: configured)
    for classification in [
        StatusRules.classify(response, retryBound: 600_000_000_000, wallClockNow: wallClockNow),
        openAI.classify(response, retryBound: 600_000_000_000, wallClockNow: wallClockNow),
        http.classify(response, retryBound: 600_000_000_000, wallClockNow: wallClockNow),
    ] {
        check(classification)
    }
    checkPrecedence(response, headers)
    for value in values.prefix(4) { checkDecimal(value) }
    if bytes.count >= 9 { checkGoDuration(bytes) }
    return 0
}

private func check(_ classification: Classification) {
    require((classification.pushBack ?? 0) <= StatusRules.longestServerDelay, "a server held the queue back too long")
    if case .retry(let delay?, _, _) = classification.outcome {
        require(delay <= StatusRules.longestServerDelay, "a server made the task wait too long")
    }
    for budget in classification.budgets {
        require((budget.resetIn ?? 0) <= StatusRules.longestServerDelay, "a budget's reset beyond a day: \(budget)")
    }
}

private func checkPrecedence(_ response: ProviderResponse, _ headers: [String: String]) {
    let wait = ProviderWait.read(response, wallClockNow: wallClockNow)
    guard let milliseconds = headers["retry-after-ms"], let read = HeaderNumber.scaled(milliseconds, unit: 1_000_000) else {
        if let wait { require(wait.header != "retry-after-ms", "retry-after-ms won without reading") }
        return
    }
    require(wait == ProviderWait(nanoseconds: read, header: "retry-after-ms"), "retry-after-ms \(milliseconds) lost to \(String(describing: wait))")
    let plain = milliseconds.utf8.filter { $0 != 0x20 && $0 != 0x09 }
    if (1...12).contains(plain.count), plain.allSatisfy({ (0x30...0x39).contains($0) }), let whole = UInt64(String(decoding: plain, as: UTF8.self)) {
        require(read == whole * 1_000_000, "retry-after-ms \(milliseconds) read as \(read) ns")
    }
}

/// `scaled` against `Double` for values `Double` holds well.
private func checkDecimal(_ text: String) {
    guard let read = HeaderNumber.scaled(text, unit: 1_000_000), text.utf8.count <= 24,
          let double = Double(String(decoding: text.utf8.filter { $0 != 0x20 && $0 != 0x09 }, as: UTF8.self)),
          double.isFinite, double < 1e9 else { return }
    let expected = double * 1e6
    require(abs(Double(read) - expected) <= 2 + expected * 1e-12, "\"\(text)\" read as \(read) ns, not about \(expected)")
}

/// What the sandbox writes (`DurationText.goStyle`) reads back within half a millisecond.
private func checkGoDuration(_ bytes: UnsafeBufferPointer<UInt8>) {
    let nanoseconds = bytes[1...8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    let text = DurationText.goStyle(nanoseconds)
    guard let read = HeaderNumber.goDuration(text) else { violated("goStyle \(text) of \(nanoseconds) does not read back") }
    let difference = read > nanoseconds ? read - nanoseconds : nanoseconds - read
    require(difference <= 500_000, "goStyle \(text) of \(nanoseconds) read back as \(read)")
}
