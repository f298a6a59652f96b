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
        _ = try Self.completionLimit(of: task)
        return OutgoingRequest(
            method: "POST", url: try RequestPath.join(base: baseURL, path: "/v1/chat/completions"),
            headers: bearer(credential) + [("Content-Type", "application/json")],
            body: JSONWriter.bytes(.object(task.payload))
        )
    }

    /// OpenAI's types: a model name, and messages that each say their role.
    public func checkFields(of task: ProviderTask) throws(TaskRejected) {
        _ = try task.string("model", "the model's name, e.g. \"gpt-4o-mini\"")
        guard case .array(let messages)? = task.payload["messages"], !messages.isEmpty else {
            throw TaskRejected("payload.messages: must be a non-empty array of messages, e.g. [{\"role\": \"user\", \"content\": \"Hello\"}]")
        }
        for (index, message) in messages.enumerated() {
            guard case .object(let object) = message, case .string(let role) = object["role"] else {
                throw TaskRejected("payload.messages[\(index)]: must be an object with a \"role\" string, e.g. {\"role\": \"user\", \"content\": \"Hello\"}")
            }
            guard Self.roles.contains(role) else {
                throw TaskRejected("payload.messages[\(index)].role: \"\(HeaderBytes.shown(role))\" is not a role OpenAI takes; "
                                   + "use \(Self.roles.dropLast().joined(separator: ", ")) or \(Self.roles.last ?? "")")
            }
        }
        try JSONBodyNumbers.check(.object(task.payload), at: "payload")
        // Both limits, when both are given: OpenAI judges each (the request only reads the first).
        for name in ["max_tokens", "max_completion_tokens"] {
            guard let value = task.payload[name] else { continue }
            guard let tokens = value.wholeNumber, tokens >= 1 else {
                throw TaskRejected("payload.\(name): must be a whole number of tokens, at least 1")
            }
        }
    }

    /// The roles OpenAI's chat completions take (any other is a 400).
    static let roles = ["system", "developer", "user", "assistant", "tool", "function"]

    /// Saturates: `max_tokens` comes from the task, and any 64-bit number
    /// is accepted there (`18446744073709551615` plus the prompt trapped every
    /// worker of the queue). A cost above a weighted limit's burst is refused
    /// at the door (`TaskAdmission`), and by the limiter if one gets through.
    public func estimatedCost(of task: ProviderTask) -> UInt64 {
        var promptBytes: UInt64 = 0
        if case .array(let messages) = task.payload["messages"] {
            for case .object(let message) in messages { promptBytes = promptBytes.addingSaturated(Self.textBytes(message["content"])) }
        }
        let completion = ((try? Self.completionLimit(of: task)) ?? nil) ?? Self.defaultMaxTokens
        return (promptBytes / 4 + (promptBytes % 4 == 0 ? 0 : 1)).addingSaturated(completion)
    }

    /// `max_tokens` (or `max_completion_tokens`) as OpenAI reads it: a whole
    /// number however JSON writes it (`8000`, `8000.0`, `8e3`), at least 1;
    /// nil when absent. Anything else would be refused by OpenAI with a 400,
    /// and cannot be charged against the tokens limit: refused here.
    static func completionLimit(of task: ProviderTask) throws(TaskRejected) -> UInt64? {
        for name in ["max_tokens", "max_completion_tokens"] {
            guard let value = task.payload[name] else { continue }
            guard let tokens = value.wholeNumber, tokens >= 1 else {
                throw TaskRejected("payload.\(name): must be a whole number of tokens, at least 1")
            }
            return tokens
        }
        return nil
    }

    public func classify(_ response: ProviderResponse, retryBound: UInt64, wallClockNow: Int) -> Classification {
        var classification = StatusRules.classify(response, retryBound: retryBound, wallClockNow: wallClockNow)
        if (200..<300).contains(response.status), let usage = Self.totalTokens(response.body) {
            classification.costUsed = usage
        }
        for budget in classification.budgets where budget.family == .openAI && budget.remaining == 0 {
            guard let reset = budget.resetIn, reset > classification.pushBack ?? 0 else { continue }
            classification.pushBack = reset
            if classification.wait == nil { classification.wait = ProviderWait(nanoseconds: reset, header: budget.resetHeader ?? "") }
        }
        return classification
    }

    /// `usage.total_tokens` from a chat completion answer.
    static func totalTokens(_ body: [UInt8]) -> UInt64? {
        guard case .object(let answer)? = try? JSONParser.parse(body), case .object(let usage)? = answer["usage"] else { return nil }
        return usage["total_tokens"]?.wholeNumber
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
