import SluiceConfig
import SluiceJSON

/// The door check for weighted limits: a task whose cost is above a weighted
/// limit's burst could never be admitted (the limiter refuses it every time),
/// so ingest and `sluice enqueue --config` refuse it before it is queued.
///
/// The cost is the task's own `cost`, else the provider's estimate (OpenAI:
/// prompt bytes ÷ 4 plus `max_tokens`), the same number the worker charges.
public enum CostAdmission {
    /// Nil when a task with this kind, payload and cost fits every weighted
    /// limit of `queue`; otherwise why not, naming the field and the fix.
    public static func refusal(kind: String, payload: JSONObject, cost: UInt64?, queue: QueueConfig) -> String? {
        guard !queue.weighted.isEmpty else { return nil }
        let charged = cost ?? Providers.make(for: queue).estimatedCost(of: ProviderTask(id: "", kind: kind, payload: payload))
        guard let limit = queue.weighted.first(where: { charged > $0.burst }) else { return nil }
        let limitText = "the burst of weighted limit \"\(limit.name)\" (\(limit.burst))"
        if cost != nil {
            return "cost: \(charged) is above \(limitText): it could never be sent; lower the cost or raise that burst"
        }
        let field = queue.provider == .openai ? "payload.max_tokens" : "payload"
        let count = charged == .max ? "more than 18446744073709551614" : "\(charged)"
        return "\(field): the task's estimated cost (\(count)) is above \(limitText): it could never be sent; "
            + "ask for fewer tokens, give a \"cost\", or raise that burst"
    }
}
