import SluiceHTTP

/// Stripe's idempotency: the first successful answer to an `Idempotency-Key`
/// is kept, and the same key with the same parameters gets that answer again,
/// byte for byte (plus `Idempotent-Replayed: true`). The same key with other
/// parameters is a 400 `idempotency_error`. Failed requests are not kept, as
/// Stripe keeps only requests that began executing.
///
/// At most `capacity` keys are held (oldest forgotten first); Stripe keeps
/// them 24 hours.
struct StripeIdempotency {
    private var answers: BoundedMap<(fingerprint: String, response: HTTPResponse)>

    init(capacity: Int = 100_000) { answers = BoundedMap(capacity: capacity) }

    /// The earlier answer for `key`, or a 400 if its parameters differ; nil if the key is new.
    func replay(key: String, fingerprint: String) -> HTTPResponse? {
        guard let earlier = answers[key] else { return nil }
        guard earlier.fingerprint == fingerprint else {
            return StripeAPI.error(.badRequest, type: "idempotency_error", code: nil, param: nil,
                                   message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(key)' if you meant to execute a different request.")
        }
        var replayed = earlier.response
        replayed.headers.set("Idempotent-Replayed", "true")
        return replayed
    }

    mutating func remember(key: String, fingerprint: String, response: HTTPResponse) {
        answers.insert((fingerprint, response), for: key)
    }
}
