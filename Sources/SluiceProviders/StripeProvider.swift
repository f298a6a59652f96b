import SluiceConfig
import SluiceJSON

/// Stripe: `create_payment` → `POST /v1/payment_intents`, `refund_payment` →
/// `POST /v1/refunds`, form-encoded, with `Idempotency-Key: <task id>` so a
/// redelivered task can never charge twice.
public struct StripeProvider: Provider {
    let baseURL: String

    public func request(for task: ProviderTask, credential: Secret?) throws(TaskRejected) -> OutgoingRequest {
        try task.require(kind: ["create_payment", "refund_payment"])
        let path: String
        if task.kind == "create_payment" {
            try task.require(fields: ["amount", "currency"])
            path = "/v1/payment_intents"
        } else {
            guard task.payload["payment_intent"] != nil || task.payload["charge"] != nil else {
                throw TaskRejected("payload.payment_intent: is required for refund_payment (or payload.charge)")
            }
            path = "/v1/refunds"
        }
        return OutgoingRequest(
            method: "POST", url: try RequestPath.join(base: baseURL, path: path),
            headers: bearer(credential) + [
                ("Content-Type", "application/x-www-form-urlencoded"), ("Idempotency-Key", task.id),
            ],
            body: try FormEncoding.encode(task.payload)
        )
    }

    /// `Stripe-Should-Retry` overrides the status rules when present.
    public func classify(_ response: ProviderResponse, retryBound: UInt64, wallClockNow: Int) -> Classification {
        var classification = StatusRules.classify(response, retryBound: retryBound, wallClockNow: wallClockNow)
        guard !(200..<300).contains(response.status), let advice = response.header("stripe-should-retry") else { return classification }
        let reason = "HTTP \(response.status) (Stripe-Should-Retry: \(advice))"
        if advice == "false" { classification.outcome = .fail(reason: reason) }
        if advice == "true", case .fail = classification.outcome {
            classification.outcome = .retry(delay: nil, reason: reason, spendsAttempt: true)
        }
        return classification
    }
}
