import Foundation
import SluiceHTTP
import SluiceJSON

/// Stripe `POST /v1/payment_intents` and `POST /v1/refunds`: form-encoded,
/// Bearer (or Basic) secret key; JSON objects with ids `pi_…`, `re_…`.
/// Errors are `{"error": {"type", "code", "message", "param"}}` and carry
/// `Stripe-Should-Retry`. Idempotency is the engine's (it holds the answers).
enum StripeAPI: ProviderAPI {
    static func validate(_ request: HTTPRequest, parameters: [String: String], keys: [String: String]) -> ProviderVerdict {
        if let refusal = authenticate(request, keys: keys) { return .reject(refusal) }
        if request.hasContentType("application/json") {
            return .reject(invalid("Invalid request: unsupported Content-Type application/json. Send application/x-www-form-urlencoded.", param: nil, code: nil))
        }
        if let key = request.headers["Idempotency-Key"], key.count > 255 {
            return .reject(invalid("Invalid Idempotency-Key: it must be at most 255 characters long.", param: nil, code: "idempotency_key_invalid"))
        }
        let fields = request.formFields
        let verdict = request.path.hasSuffix("/refunds") ? refund(fields) : paymentIntent(fields)
        guard case .proceed(var call) = verdict else { return verdict }
        if let key = request.headers["Idempotency-Key"] {
            call.idempotency = (key, request.path + "?" + fields.keys.sorted().map { "\($0)=\(fields[$0] ?? "")" }.joined(separator: "&"))
        }
        return .proceed(call)
    }

    private static func authenticate(_ request: HTTPRequest, keys: [String: String]) -> HTTPResponse? {
        guard let key = Credentials.bearer(request) ?? Credentials.basic(request)?.user, !key.isEmpty else {
            return error(.unauthorized, type: "invalid_request_error", code: nil, param: nil,
                         message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        }
        let wellFormed = key.hasPrefix("sk_") || key.hasPrefix("rk_")
        if !wellFormed || keys["stripe"].map({ $0 != key }) ?? false {
            return error(.unauthorized, type: "invalid_request_error", code: nil, param: nil, message: "Invalid API Key provided: \(Credentials.masked(key))")
        }
        return nil
    }

    private static func paymentIntent(_ fields: [String: String]) -> ProviderVerdict {
        guard let amountText = fields["amount"] else { return .reject(missing("amount")) }
        // Eight digits (999,999.99 usd), twelve for Indonesian rupiah, as Stripe takes them.
        let maximum = fields["currency"]?.lowercased() == "idr" ? 999_999_999_999 : 99_999_999
        guard let amount = Int(amountText), amount >= 1, amount <= maximum else {
            return .reject(invalid("Invalid integer: \(amountText)", param: "amount", code: "parameter_invalid_integer"))
        }
        guard let currency = fields["currency"]?.lowercased() else { return .reject(missing("currency")) }
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return .reject(invalid("Invalid currency: \(currency). Stripe currently supports three-letter ISO codes, like usd.", param: "currency", code: "parameter_invalid"))
        }
        let metadata = metadataOf(fields)
        return .proceed(ProviderCall(charges: [(.stripeRequests, 1)]) { context in
            let id = context.random.id("pi_", 24)
            context.paymentIntents.insert((amount, currency), for: id)
            return success(.object([
                ("id", .string(id)), ("object", .string("payment_intent")), ("amount", .integer(amount)), ("amount_received", .integer(0)),
                ("capture_method", .string("automatic")), ("client_secret", .string(id + "_secret_" + context.random.string(25))),
                ("confirmation_method", .string("automatic")), ("created", .integer(context.epochSeconds)), ("currency", .string(currency)),
                ("customer", .string(orNull: fields["customer"])), ("description", .string(orNull: fields["description"])), ("livemode", .bool(false)),
                ("metadata", metadata), ("payment_method_types", .array([.string("card")])), ("status", .string("requires_payment_method")),
            ]), &context)
        })
    }

    private static func refund(_ fields: [String: String]) -> ProviderVerdict {
        guard let intent = fields["payment_intent"] ?? fields["charge"] else {
            return .reject(invalid("One of the following params should be provided for this request: payment_intent or charge.", param: nil, code: "parameter_missing"))
        }
        let param = fields["payment_intent"] != nil ? "payment_intent" : "charge"
        guard intent.hasPrefix(param == "charge" ? "ch_" : "pi_"), intent.count > 3 else {
            return .reject(error(.notFound, type: "invalid_request_error", code: "resource_missing", param: param, message: "No such \(param): '\(intent)'"))
        }
        var amount: Int?
        if let text = fields["amount"] {
            guard let value = Int(text), value >= 1 else { return .reject(invalid("Invalid integer: \(text)", param: "amount", code: "parameter_invalid_integer")) }
            amount = value
        }
        let metadata = metadataOf(fields)
        return .proceed(ProviderCall(charges: [(.stripeRequests, 1)]) { context in
            // A payment intent made here is checked; one made elsewhere (an earlier run) is taken on trust.
            let known = context.paymentIntents[intent]
            if let known, let amount, amount > known.amount {
                return invalid("Refund amount ($\(Double(amount) / 100)) is greater than charge amount ($\(Double(known.amount) / 100))", param: "amount", code: "amount_too_large")
            }
            return success(.object([
                ("id", .string(context.random.id("re_", 24))), ("object", .string("refund")), ("amount", .integer(amount ?? known?.amount ?? 1_000)),
                ("charge", .string(param == "charge" ? intent : context.random.id("ch_", 24))), ("created", .integer(context.epochSeconds)),
                ("currency", .string(known?.currency ?? "usd")), ("metadata", metadata),
                ("payment_intent", param == "payment_intent" ? .string(intent) : .null), ("reason", .string(orNull: fields["reason"])), ("status", .string("succeeded")),
            ]), &context)
        })
    }

    static func tooManyRequests(retryAfter: UInt64, refused: SandboxLimitName?, context: ResponseContext) -> HTTPResponse {
        var response = error(.tooManyRequests, type: "invalid_request_error", code: "rate_limit", param: nil,
                             message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.", shouldRetry: true)
        response.headers.add("Retry-After", "\(retryAfterSeconds(retryAfter))")
        return response
    }

    static func serverError(status: HTTPStatus, context: ResponseContext) -> HTTPResponse {
        error(status, type: "api_error", code: nil, param: nil, message: "An unknown error occurred", shouldRetry: true)
    }

    private static func success(_ object: JSONValue, _ context: inout ResponseContext) -> HTTPResponse {
        .json(.ok, object, headers: ["Request-Id": context.random.id("req_", 14), "Stripe-Version": "2024-06-20"])
    }

    private static func missing(_ param: String) -> HTTPResponse {
        invalid("Missing required param: \(param).", param: param, code: "parameter_missing")
    }

    static func invalid(_ message: String, param: String?, code: String?) -> HTTPResponse {
        error(.badRequest, type: "invalid_request_error", code: code, param: param, message: message)
    }

    /// Stripe's error object; `Stripe-Should-Retry` says whether the same request could succeed later.
    static func error(_ status: HTTPStatus, type: String, code: String?, param: String?, message: String, shouldRetry: Bool = false) -> HTTPResponse {
        var members: [(String, JSONValue)] = []
        if let code { members.append(("code", .string(code))) }
        if let code { members.append(("doc_url", .string("https://stripe.com/docs/error-codes/" + code.replacingOccurrences(of: "_", with: "-")))) }
        members.append(("message", .string(message)))
        if let param { members.append(("param", .string(param))) }
        members.append(("type", .string(type)))
        return .json(status, .object([("error", .object(members))]), headers: ["Stripe-Should-Retry": shouldRetry ? "true" : "false"])
    }

    /// `metadata[key]=value` fields as an object.
    private static func metadataOf(_ fields: [String: String]) -> JSONValue {
        .object(fields.keys.sorted().compactMap { name in
            guard name.hasPrefix("metadata["), name.hasSuffix("]") else { return nil }
            return (String(name.dropFirst(9).dropLast()), .string(fields[name] ?? ""))
        })
    }
}
