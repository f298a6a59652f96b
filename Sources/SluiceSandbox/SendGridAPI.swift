import SluiceHTTP
import SluiceJSON

/// SendGrid v3 `POST /v3/mail/send`: JSON, Bearer key; 202 with an empty body.
/// Errors are `{"errors": [{"message", "field", "help"}]}`, all of them at once.
enum SendGridAPI: ProviderAPI {
    static func validate(_ request: HTTPRequest, parameters: [String: String], keys: [String: String]) -> ProviderVerdict {
        guard let key = Credentials.bearer(request) else {
            return .reject(errors(.unauthorized, [(nil, "Permission denied, wrong credentials")]))
        }
        if let required = keys["sendgrid"], key != required {
            return .reject(errors(.unauthorized, [(nil, "The provided authorization grant is invalid, expired, or revoked")]))
        }
        guard let mail = request.jsonObject else {
            return .reject(errors(.badRequest, [(nil, "Invalid JSON: the request body must be a JSON object")]))
        }
        let problems = problems(in: mail)
        guard problems.isEmpty else { return .reject(errors(.badRequest, problems)) }
        return .proceed(ProviderCall(charges: [(.sendgridRequests, 1)]) { context in
            HTTPResponse(status: .accepted, headers: rateLimitHeaders(context).adding("X-Message-Id", context.random.id("", 22)))
        })
    }

    /// Every problem with the mail, as (field, message), in SendGrid's words.
    static func problems(in mail: [String: Any]) -> [(String?, String)] {
        var problems: [(String?, String)] = []
        let hasTemplate = mail["template_id"] is String
        let personalizations = mail["personalizations"] as? [[String: Any]] ?? []
        if personalizations.isEmpty || personalizations.count > 1_000 {
            problems.append(("personalizations", "The personalizations field is required and must have at least one personalization."))
        }
        for (index, personalization) in personalizations.enumerated() {
            let to = personalization["to"] as? [[String: Any]] ?? []
            if to.isEmpty { problems.append(("personalizations.\(index).to", "The to array is required for all personalization objects, and must have at least one email object with a valid email address.")) }
            for (position, recipient) in to.enumerated() where !isEmail(recipient["email"]) {
                problems.append(("personalizations.\(index).to.\(position).email", "Does not contain a valid address."))
            }
        }
        if !isEmail((mail["from"] as? [String: Any])?["email"]) {
            problems.append(("from.email", "The from object must be provided for every email send. It is an object that requires an email parameter, but may also contain a name parameter."))
        }
        let everyHasSubject = !personalizations.isEmpty && personalizations.allSatisfy { $0["subject"] is String }
        if !hasTemplate && !everyHasSubject && ((mail["subject"] as? String) ?? "").isEmpty {
            problems.append(("subject", "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined."))
        }
        let content = mail["content"] as? [[String: Any]] ?? []
        if !hasTemplate && (content.isEmpty || !content.allSatisfy({ $0["type"] is String && $0["value"] is String })) {
            problems.append(("content", "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block."))
        }
        return problems
    }

    static func tooManyRequests(retryAfter: UInt64, refused: SandboxLimitName?, context: ResponseContext) -> HTTPResponse {
        errors(.tooManyRequests, [(nil, "too many requests")], headers: rateLimitHeaders(context).adding("Retry-After", "\(retryAfterSeconds(retryAfter))"))
    }

    static func serverError(status: HTTPStatus, context: ResponseContext) -> HTTPResponse {
        errors(status, [(nil, "internal error")])
    }

    /// `X-RateLimit-Limit`, `-Remaining`, and `-Reset`: the Unix second the
    /// window frees up, rounded up from the exact instant (never early).
    private static func rateLimitHeaders(_ context: ResponseContext) -> HTTPHeaders {
        guard let headroom = context.headroom[.sendgridRequests] else { return [:] }
        let reset = retryAfterSeconds(context.epochNanoseconds &+ headroom.resetAfter)
        return ["X-RateLimit-Limit": "\(headroom.limit.allowed)", "X-RateLimit-Remaining": "\(headroom.remaining)", "X-RateLimit-Reset": "\(reset)"]
    }

    private static func errors(_ status: HTTPStatus, _ problems: [(String?, String)], headers: HTTPHeaders = [:]) -> HTTPResponse {
        .json(status, .object([("errors", .array(problems.map { field, message in
            .object([("message", .string(message)), ("field", .string(orNull: field)), ("help", .null)])
        }))]), headers: headers)
    }

    private static func isEmail(_ value: Any?) -> Bool {
        guard let text = value as? String, let at = text.firstIndex(of: "@") else { return false }
        return at > text.startIndex && text[text.index(after: at)...].contains(".")
    }
}

extension HTTPHeaders {
    func adding(_ name: String, _ value: String) -> HTTPHeaders {
        var headers = self
        headers.add(name, value)
        return headers
    }
}
