import SluiceConfig
import SluiceJSON
import SluiceSpool

/// The one judgement of a task against its queue, made by the worker before
/// it sends and by the door (ingest, `sluice enqueue`) before it queues, so
/// the two can never disagree: the request is built exactly as the worker
/// builds it (the door without the credential), and what would fail is
/// refused with the field and the fix.
///
/// Both places refuse what cannot be sent: a kind the provider does not
/// take, a missing field, a path leaving the queue's host, a reserved or
/// malformed header, a form body over 4 MiB. The door alone also refuses what
/// the API or the limiter would refuse: a mistyped field or one out of range
/// (`Provider.checkFields`), a per-key field missing when the queue has a
/// per-key limit, a cost above a weighted limit's burst. Those are never
/// applied to a task already queued: it is sent as it always was.
public enum TaskAdmission {
    /// Where the task is judged.
    public enum Place: Sendable {
        /// Before queueing: every rule.
        case door
        /// Before sending a task taken from the spool: only what makes it unsendable.
        case worker
    }

    /// A task fit to send: its request, the cost to charge, the per-key limit's key.
    public struct Admitted: Sendable, Equatable {
        public var request: OutgoingRequest
        public var cost: UInt64
        public var key: String?
    }

    /// Judges `task` (its own `cost` and `key` given apart, as the spool keeps
    /// them) against `rules`, with `provider` built from the same queue.
    /// Throws the refusal, naming the field and the fix.
    public static func check(_ task: ProviderTask, cost: UInt64?, key: String?, rules: AdmissionRules, at place: Place,
                             provider: (any Provider)? = nil, credential: Secret? = nil) throws(TaskRejected) -> Admitted {
        let provider = provider ?? Providers.make(for: rules)
        let request = try provider.request(for: task, credential: credential)
        let charged = cost ?? provider.estimatedCost(of: task)
        let limitKey = key ?? rules.perKeyField.flatMap { field in
            if case .string(let value)? = task.payload[field] { value } else { nil }
        }
        if place == .door {
            try provider.checkFields(of: task)
            if let field = rules.perKeyField, limitKey == nil {
                throw TaskRejected("payload.\(field): is required, a string: queue \"\(rules.queue)\" limits each \(field) separately (perKey); "
                                   + "give it, or the task's \"key\"")
            }
            if let refusal = costRefusal(charged, given: cost != nil, rules: rules) { throw refusal }
        }
        return Admitted(request: request, cost: charged, key: limitKey)
    }

    /// The door's judgement of a task as submitted (ingest, `sluice enqueue`).
    /// A task without an id is judged with an empty one (its id is made when it is queued).
    public static func check(_ submitted: TaskRequest, rules: AdmissionRules, credential: Secret? = nil) throws(TaskRejected) -> Admitted {
        let task = ProviderTask(id: submitted.id?.rawValue ?? "", kind: submitted.kind, payload: submitted.payload)
        return try check(task, cost: submitted.cost, key: submitted.key, rules: rules, at: .door, credential: credential)
    }

    /// A cost above a weighted limit's burst could never be admitted (the
    /// limiter refuses it every time). The cost is the task's own `cost`, else
    /// the provider's estimate (OpenAI: prompt bytes ÷ 4 plus `max_tokens`).
    private static func costRefusal(_ charged: UInt64, given: Bool, rules: AdmissionRules) -> TaskRejected? {
        guard let limit = rules.weighted.first(where: { charged > $0.burst }) else { return nil }
        let limitText = "the burst of weighted limit \"\(limit.name)\" (\(limit.burst))"
        if given {
            return TaskRejected("cost: \(charged) is above \(limitText): it could never be sent; lower the cost or raise that burst")
        }
        let field = rules.provider == .openai ? "payload.max_tokens" : "payload"
        let count = charged == .max ? "more than 18446744073709551614" : "\(charged)"
        return TaskRejected("\(field): the task's estimated cost (\(count)) is above \(limitText): it could never be sent; "
                            + "ask for fewer tokens, give a \"cost\", or raise that burst")
    }
}
