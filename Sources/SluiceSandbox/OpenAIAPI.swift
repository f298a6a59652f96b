import SluiceHTTP
import SluiceCore
import SluiceJSON

/// OpenAI `POST /v1/chat/completions`: JSON, Bearer key. Every answer carries
/// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (resets as "1s",
/// "6m0s"); success has `usage.total_tokens`.
///
/// Tokens are counted the way a client can estimate them beforehand:
/// `prompt_tokens = ceil(UTF-8 bytes of all message contents / 4)`, and the
/// completion uses exactly `max_tokens` (or `max_completion_tokens`, default
/// 16). A request is charged `total_tokens` against the tokens window.
enum OpenAIAPI: ProviderAPI {
    static let defaultCompletionTokens = 16
    static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool", "function"]

    static func validate(_ request: HTTPRequest, parameters: [String: String], keys: [String: String]) -> ProviderVerdict {
        guard let key = Credentials.bearer(request) else {
            return .reject(error(.unauthorized, type: "invalid_request_error", code: nil, param: nil,
                                 message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."))
        }
        if let required = keys["openai"], key != required {
            return .reject(error(.unauthorized, type: "invalid_request_error", code: "invalid_api_key", param: nil,
                                 message: "Incorrect API key provided: \(Credentials.masked(key)). You can find your API key at https://platform.openai.com/account/api-keys."))
        }
        guard let body = request.jsonObject else {
            return .reject(invalid("We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.", param: nil, code: nil))
        }
        switch parse(body) {
        case .failure(let refusal): return .reject(refusal.response)
        case .success(let (model, promptTokens, completionTokens)):
            let total = promptTokens + completionTokens
            return .proceed(ProviderCall(charges: [(.openaiRequests, 1), (.openaiTokens, UInt64(total))]) { context in
                let content = Array(repeating: "sandbox", count: completionTokens).joined(separator: " ")
                return .json(.ok, .object([
                    ("id", .string(context.random.id("chatcmpl-", 29))), ("object", .string("chat.completion")), ("created", .integer(context.epochSeconds)),
                    ("model", .string(model)),
                    ("choices", .array([.object([("index", .integer(0)), ("message", .object([("role", .string("assistant")), ("content", .string(content)), ("refusal", .null)])),
                                                 ("logprobs", .null), ("finish_reason", .string("length"))])])),
                    ("usage", .object([("prompt_tokens", .integer(promptTokens)), ("completion_tokens", .integer(completionTokens)), ("total_tokens", .integer(total))])),
                ]), headers: rateLimitHeaders(context).adding("x-request-id", context.random.id("req_", 32)))
            })
        }
    }

    /// (model, prompt tokens, completion tokens), or the 400 naming the parameter.
    private static func parse(_ body: [String: Any]) -> Result<(String, Int, Int), HTTPResponseError> {
        guard let model = body["model"] as? String, !model.isEmpty else {
            return .failure(HTTPResponseError(invalid("you must provide a model parameter", param: "model", code: "missing_required_parameter")))
        }
        guard let messages = body["messages"] as? [[String: Any]], !messages.isEmpty else {
            return .failure(HTTPResponseError(invalid("Missing required parameter: 'messages'.", param: "messages", code: "missing_required_parameter")))
        }
        var promptBytes = 0
        for (index, message) in messages.enumerated() {
            guard let role = message["role"] as? String, roles.contains(role) else {
                return .failure(HTTPResponseError(invalid("Invalid value: '\(message["role"] ?? "")'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool' and 'function'.",
                                                          param: "messages[\(index)].role", code: "invalid_value")))
            }
            guard let content = message["content"] as? String else {
                return .failure(HTTPResponseError(invalid("Invalid type for 'messages[\(index)].content': expected a string.", param: "messages[\(index)].content", code: "invalid_type")))
            }
            promptBytes += content.utf8.count
        }
        var completion = defaultCompletionTokens
        for name in ["max_completion_tokens", "max_tokens"] {
            guard let raw = body[name] else { continue }
            guard let value = JSONNumber.integer(raw), value >= 1 else {
                return .failure(HTTPResponseError(invalid("Invalid '\(name)': integer below minimum value. Expected a value >= 1, but got \(raw) instead.",
                                                          param: name, code: "integer_below_min_value")))
            }
            completion = value
        }
        return .success((model, (promptBytes + 3) / 4, completion))
    }

    /// OpenAI's 429: `retry-after-ms` (the exact wait, to the millisecond
    /// rounded up) beside the whole-second `Retry-After`, as OpenAI sends both.
    static func tooManyRequests(retryAfter: UInt64, refused: SandboxLimitName?, context: ResponseContext) -> HTTPResponse {
        let milliseconds = millisecondsUp(retryAfter)
        let tokens = refused == .openaiTokens
        let headroom = context.headroom[tokens ? .openaiTokens : .openaiRequests]
        let what = tokens ? "tokens per min (TPM)" : "requests per min (RPM)"
        let limit = headroom.map { "Limit \($0.limit.allowed), Remaining \($0.remaining)" } ?? ""
        var response = error(.tooManyRequests, type: tokens ? "tokens" : "requests", code: "rate_limit_exceeded", param: nil,
                             message: "Rate limit reached in organization org-sandbox on \(what): \(limit). Please try again in \(DurationText.goStyle(milliseconds * 1_000_000)).")
        response.headers = rateLimitHeaders(context).adding("retry-after-ms", "\(milliseconds)")
            .adding("Retry-After", "\(retryAfterSeconds(retryAfter))").adding("Content-Type", "application/json")
        return response
    }

    static func serverError(status: HTTPStatus, context: ResponseContext) -> HTTPResponse {
        error(status, type: "server_error", code: nil, param: nil, message: "The server had an error while processing your request. Sorry about that!")
    }

    private static func rateLimitHeaders(_ context: ResponseContext) -> HTTPHeaders {
        var headers = HTTPHeaders()
        for (name, suffix) in [(SandboxLimitName.openaiRequests, "requests"), (.openaiTokens, "tokens")] {
            guard let headroom = context.headroom[name] else { continue }
            headers.add("x-ratelimit-limit-\(suffix)", "\(headroom.limit.allowed)")
            headers.add("x-ratelimit-remaining-\(suffix)", "\(headroom.remaining)")
            // Rounded up to the millisecond: a client that waits exactly this long is admitted.
            headers.add("x-ratelimit-reset-\(suffix)", DurationText.goStyle(millisecondsUp(headroom.resetAfter) * 1_000_000))
        }
        return headers
    }

    private static func invalid(_ message: String, param: String?, code: String?) -> HTTPResponse {
        error(.badRequest, type: "invalid_request_error", code: code, param: param, message: message)
    }

    private static func error(_ status: HTTPStatus, type: String, code: String?, param: String?, message: String) -> HTTPResponse {
        .json(status, .object([("error", .object([("message", .string(message)), ("type", .string(type)), ("param", .string(orNull: param)), ("code", .string(orNull: code))]))]))
    }
}

/// A ready answer carried as an error, for `Result`.
struct HTTPResponseError: Error {
    let response: HTTPResponse
    init(_ response: HTTPResponse) { self.response = response }
}
