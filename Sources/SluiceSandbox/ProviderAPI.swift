import Foundation
import SluiceHTTP
import SluiceJSON

/// One provider's request checks and answer shapes. Pure: the engine decides
/// order (faults, auth and validation, limits, idempotency) and keeps state.
protocol ProviderAPI {
    /// Checks credentials and the payload; on success, says what the request
    /// costs against which limits and how to answer it.
    static func validate(_ request: HTTPRequest, parameters: [String: String], keys: [String: String]) -> ProviderVerdict
    /// The provider's 429, with its rate-limit headers; `retryAfter` is the
    /// exact wait in nanoseconds, each provider writes it as the real one does.
    static func tooManyRequests(retryAfter: UInt64, refused: SandboxLimitName?, context: ResponseContext) -> HTTPResponse
    /// The provider's 5xx.
    static func serverError(status: HTTPStatus, context: ResponseContext) -> HTTPResponse
}

/// What a provider makes of a request before any limit is consulted.
enum ProviderVerdict {
    /// Refused for auth or validation, with the provider's own error answer.
    case reject(HTTPResponse)
    case proceed(ProviderCall)
}

/// A valid request: its charges, and how to answer it once admitted.
struct ProviderCall {
    var charges: [(SandboxLimitName, UInt64)]
    /// Twilio: the sending number, limited on its own.
    var twilioNumber: String? = nil
    /// Stripe: the Idempotency-Key and a fingerprint of what was asked.
    var idempotency: (key: String, fingerprint: String)? = nil
    var respond: (inout ResponseContext) -> HTTPResponse
}

/// What an answer may draw on: identifiers, the wall clock, the limits' headroom.
struct ResponseContext {
    var random: SandboxRandom
    var epochSeconds: Int
    /// The wall clock to the nanosecond, for resets written as Unix time.
    var epochNanoseconds: UInt64 = 0
    var headroom: [SandboxLimitName: SandboxLimits.Headroom] = [:]
    /// Stripe payment intents created here (id → amount, currency), for refunds.
    var paymentIntents: BoundedMap<(amount: Int, currency: String)>
}

/// Reading credentials the way the providers accept them.
enum Credentials {
    /// The token of `Authorization: Bearer <token>`, if non-empty.
    static func bearer(_ request: HTTPRequest) -> String? {
        guard let value = request.headers["Authorization"], value.lowercased().hasPrefix("bearer ") else { return nil }
        let token = value.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The user and password of `Authorization: Basic base64(user:password)`.
    static func basic(_ request: HTTPRequest) -> (user: String, password: String)? {
        guard let value = request.headers["Authorization"], value.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// A key shown in an error without revealing it: `sk_t****1234`.
    static func masked(_ key: String) -> String {
        guard key.count > 8 else { return "****" }
        return String(key.prefix(4)) + "****" + String(key.suffix(4))
    }
}

/// A map that forgets its oldest entries beyond `capacity`, so a long run's
/// memory stays bounded.
struct BoundedMap<Value> {
    private var values: [String: Value] = [:]
    private var order: [String] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    subscript(key: String) -> Value? { values[key] }

    mutating func insert(_ value: Value, for key: String) {
        if values.updateValue(value, forKey: key) == nil { order.append(key) }
        while values.count > capacity, head < order.count {
            values[order[head]] = nil
            head += 1
        }
        if head > capacity { order.removeFirst(head); head = 0 }
    }
}

extension HTTPRequest {
    /// The body as form fields (Stripe, Twilio); the last of a repeated name wins.
    var formFields: [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in FormURLEncoded.decode(bodyText) { fields[name] = value }
        return fields
    }

    /// Whether the Content-Type's media type is `type`.
    func hasContentType(_ type: String) -> Bool {
        headers["Content-Type"].map { $0.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == type } ?? false
    }
}

extension HTTPResponse {
    /// A JSON answer built from a `JSONValue`, its members in the order given.
    static func json(_ status: HTTPStatus, _ value: JSONValue, headers: HTTPHeaders = [:]) -> HTTPResponse {
        .json(status, JSONWriter.bytes(value), headers: headers)
    }
}

/// Whole seconds a client should wait, rounded up (`Retry-After`): never
/// early, so a client that waits exactly this long is admitted.
func retryAfterSeconds(_ nanoseconds: UInt64) -> Int {
    Int(clamping: nanoseconds / 1_000_000_000 + (nanoseconds % 1_000_000_000 == 0 ? 0 : 1))
}

/// The same to the millisecond, rounded up (`retry-after-ms`, Go-duration
/// resets): the fine figure the sandbox knows from its sliding windows.
func millisecondsUp(_ nanoseconds: UInt64) -> UInt64 {
    nanoseconds / 1_000_000 + (nanoseconds % 1_000_000 == 0 ? 0 : 1)
}
