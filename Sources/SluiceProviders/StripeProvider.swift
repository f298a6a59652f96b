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

    /// Stripe's types: an amount is a whole number of the currency's
    /// smallest unit of at most eight digits, twelve for idr (sent as
    /// written, so `2e3` or `20.00` would be refused by Stripe, and so would
    /// 100000000 usd: `amount_too_large`); a currency is three letters; a
    /// refund names its payment by id.
    public func checkFields(of task: ProviderTask) throws(TaskRejected) {
        if task.kind == "create_payment" {
            let currency: String?
            if case .string(let text)? = task.payload["currency"] { currency = text.lowercased() } else { currency = nil }
            try Self.checkAmount(task.payload["amount"], maximum: currency == "idr" ? Self.maximumAmountIDR : Self.maximumAmount)
            let code = try task.string("currency", "a three-letter ISO code such as \"usd\"")
            guard code.utf8.count == 3, code.utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0 | 0x20) }) else {
                throw TaskRejected("payload.currency: \"\(HeaderBytes.shown(code))\" is not a currency; use a three-letter ISO code such as \"usd\"")
            }
        } else {
            for field in ["payment_intent", "charge"] where task.payload[field] != nil {
                _ = try task.string(field, "the id of the \(field == "charge" ? "charge" : "payment intent") to refund, e.g. \"pi_123\"")
            }
            // A refund's currency is its payment's, unknown here: the widest bound.
            if task.payload["amount"] != nil { try Self.checkAmount(task.payload["amount"], maximum: Self.maximumAmountIDR) }
        }
    }

    /// The largest amount Stripe takes: eight digits (999,999.99 usd).
    public static let maximumAmount: UInt64 = 99_999_999
    /// Indonesian rupiah only: twelve digits.
    public static let maximumAmountIDR: UInt64 = 999_999_999_999

    private static func checkAmount(_ value: JSONValue?, maximum: UInt64) throws(TaskRejected) {
        let digits: String? = switch value {
        case .number(let literal)?: literal
        case .string(let text)?: text
        default: nil
        }
        guard let digits, !digits.isEmpty, digits.utf8.count <= 19, digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let amount = UInt64(digits), amount >= 1, amount <= maximum else {
            throw TaskRejected("payload.amount: must be a whole number of the currency's smallest unit written in digits "
                               + "(2000 is 20.00 usd), from 1 to \(maximum) (Stripe takes at most eight digits, twelve for idr)")
        }
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
