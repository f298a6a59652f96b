import SluiceConfig
import SluiceJSON
import SluiceCore

/// OpenAI: `generate_text` → `POST /v1/chat/completions`, the payload is the
/// request body as OpenAI documents it.
///
/// Its tokens-per-minute limit is charged *before* the call with an
/// estimate (prompt bytes ÷ 4, rounded up, plus `max_tokens`, or 1,024 if
/// absent: OpenAI itself counts `max_tokens` at request time), then
/// reconciled with `usage.total_tokens`. `x-ratelimit-remaining-*` at 0 holds
/// the queue back until the matching `x-ratelimit-reset-*` ("1s", "6m0s").
public struct OpenAIProvider: Provider {
    let baseURL: String
    public static let defaultMaxTokens: UInt64 = 1024

    public func request(for task: ProviderTask, credential: Secret?) throws(TaskRejected) -> OutgoingRequest {
        try task.require(kind: ["generate_text"])
        try task.require(fields: ["model", "messages"])
        guard case .array = task.payload["messages"] else { throw TaskRejected("payload.messages: must be an array of messages") }
        return OutgoingRequest(
            method: "POST", url: try RequestPath.join(base: baseURL, path: "/v1/chat/completions"),
            headers: bearer(credential) + [("Content-Type", "application/json")],
            body: JSONWriter.bytes(.object(task.payload))
        )
    }

    /// Saturates: `max_tokens` comes from the task, and any 64-bit number
    /// is accepted there (`18446744073709551615` plus the prompt trapped every
    /// worker of the queue). A cost above a weighted limit's burst is refused
    /// at the door (`CostAdmission`), and by the limiter if one gets through.
    public func estimatedCost(of task: ProviderTask) -> UInt64 {
        var promptBytes: UInt64 = 0
        if case .array(let messages) = task.payload["messages"] {
            for case .object(let message) in messages { promptBytes = promptBytes.addingSaturated(Self.textBytes(message["content"])) }
        }
        let completion: UInt64 = switch task.payload["max_tokens"] ?? task.payload["max_completion_tokens"] {
        case .number(let literal)?: Self.tokenCount(literal)
        default: Self.defaultMaxTokens
        }
        return (promptBytes / 4 + (promptBytes % 4 == 0 ? 0 : 1)).addingSaturated(completion)
    }

    /// A JSON number as a token count, saturating: past 2⁶⁴−1 (or `1e400`)
    /// it is `UInt64.max`, a fraction rounds up, a negative one is 0 (the API
    /// refuses it; it costs nothing here).
    static func tokenCount(_ literal: String) -> UInt64 {
        if let whole = UInt64(literal) { return whole }
        guard let value = Double(literal), !value.isNaN else { return defaultMaxTokens }
        if value <= 0 { return 0 }
        if value >= 18_446_744_073_709_551_615.0 { return .max }
        return UInt64(value.rounded(.up))
    }

    public func classify(_ response: ProviderResponse, retryBound: UInt64, wallClockNow: Int) -> Classification {
        var classification = StatusRules.classify(response, retryBound: retryBound, wallClockNow: wallClockNow)
        if (200..<300).contains(response.status), let usage = Self.totalTokens(response.body) {
            classification.costUsed = usage
        }
        for budget in ["requests", "tokens"] where response.header("x-ratelimit-remaining-\(budget)") == "0" {
            if let reset = response.header("x-ratelimit-reset-\(budget)").flatMap(DurationText.nanoseconds) {
                classification.pushBack = max(classification.pushBack ?? 0, min(reset, StatusRules.longestServerDelay))
            }
        }
        return classification
    }

    /// `usage.total_tokens` from a chat completion answer.
    static func totalTokens(_ body: [UInt8]) -> UInt64? {
        guard case .object(let answer)? = try? JSONParser.parse(body), case .object(let usage)? = answer["usage"],
              case .number(let literal)? = usage["total_tokens"] else { return nil }
        return UInt64(literal)
    }

    private static func textBytes(_ content: JSONValue?) -> UInt64 {
        switch content {
        case .string(let text)?: UInt64(text.utf8.count)
        case .array(let parts)?: parts.reduce(0) { total, part in
            guard case .object(let object) = part else { return total }
            return total.addingSaturated(textBytes(object["text"]))
        }
        default: 0
        }
    }
}
