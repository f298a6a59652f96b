/// The scenarios of `sluice bench schedule` (issue 19: the schedule when
/// something changes), each one's sandbox, queue, tasks and timing in this
/// one place. They are `ScheduleUnderChangeTests`' and the dropped-connection
/// test's set-ups, measured rather than asserted, plus a many-keys run beside
/// a few-keys one for the CPU each request costs.
///
/// Every scenario runs one queue against a fresh `sluice sandbox` whose limits
/// sit above the queue's rate (Stripe 100/s, Twilio 1/s per number), so what
/// the provider saw is what the fleet sent.
enum ScheduleScenario: String, CaseIterable, Sendable {
    /// `PUT …/rate` 50/s → 1/s → 50/s.
    case setRate = "set-rate"
    /// `PUT …/processes` 8 → 1 on a 5/s queue.
    case scaleDown = "scale-down"
    /// SIGTERM to the fleet, then `sluice run` again on the same spool and segment.
    case restart
    /// `kill -9` of a random worker every 2 s.
    case kill
    /// 3,000 distinct sending numbers, then the same 3,000 tasks over 200.
    case keys
    /// 20% of connections dropped by the provider.
    case drops
    /// Configured at exactly the provider's number, burst 1 (issue 12):
    /// Stripe at 20/s against the sandbox's 20 in any second, 4 and 16
    /// processes; at 100/s; at 1.5/s against 3 in any 2 s.
    case limit20x4 = "limit-20x4"
    case limit20x16 = "limit-20x16"
    case limit100 = "limit-100"
    case limit1_5 = "limit-1.5"
    /// Configured at the provider's 20/s while another client spends 30% of
    /// it for 60 s, unseen, then stops (issue 12): the rest learnt from 429s.
    case sharedBudget = "shared-budget"

    /// The at-the-limit scenarios.
    var isAtTheLimit: Bool { [.limit20x4, .limit20x16, .limit100, .limit1_5].contains(self) }

    // Timing, seconds.
    static let setRatePhases = (before: 2.0, slow: 3.0, after: 4.0)
    static let scaleDownPhases = (before: 3.0, after: 6.0)
    static let restartPhases = (before: 3.0, after: 5.0)
    static let killPhases = (before: 2.0, kills: 5, every: 2.0)
    static let sharedBudgetPhases = (shared: 60.0, after: 60.0, learning: 30.0, share: 0.3)
    /// How long a drain may take before the run is given up (the theoretical is 20 s and 6 s).
    static let drainTimeout = 90.0

    /// Sending numbers in the two `keys` runs: each its own key, so the first
    /// run books 3,000 keyed cells; 200 numbers at 0.9/s allow 180/s, so the
    /// queue's 150/s binds in both and they do the same work at the same pace.
    static let manyKeys = 3000
    static let fewKeys = 200

    var title: String {
        switch self {
        case .setRate: "50/s → 1/s → 50/s"
        case .scaleDown: "8 → 1 processes on a 5/s queue"
        case .restart: "graceful restart on a 5/s queue"
        case .kill: "kill -9 of a worker every 2 s on a 5/s queue"
        case .keys: "3,000 distinct keys vs 200 (Twilio, 150/s, 0.9/s per number)"
        case .drops: "20% of connections dropped by the provider"
        case .limit20x4: "20/s configured against the provider's 20/s, 4 processes"
        case .limit20x16: "20/s configured against the provider's 20/s, 16 processes"
        case .limit100: "100/s configured against the provider's 100/s"
        case .limit1_5: "1.5/s configured against the provider's 3 in any 2 s"
        case .sharedBudget: "20/s configured while another client spends 30% of the provider's 20/s"
        }
    }

    /// The fleet and what it does, in a sentence (for the report).
    var setup: String {
        switch self {
        case .setRate:
            "Stripe at 50/s, 4 workers × 8 in flight, 1,000 tasks; after 2 s `PUT /v1/queues/stripe-api/rate` 1/s, after 3 s more 50/s again, then 4 s"
        case .scaleDown:
            "Stripe at 5/s, 8 workers × 8 in flight, 200 tasks; after 3 s `PUT /v1/queues/stripe-api/processes` 1, then 6 s"
        case .restart:
            "Stripe at 5/s, 4 workers × 8 in flight, 200 tasks; after 3 s SIGTERM to `sluice run` and, once it has exited, `sluice run` again on the same spool and segment, then 5 s"
        case .kill:
            "Stripe at 5/s, 4 workers × 8 in flight, 200 tasks; after 2 s, `kill -9` of a random worker every 2 s, 5 times (the supervisor restarts each)"
        case .keys:
            "Twilio at 150/s, 0.9/s per sending number, 2 workers × 16 in flight; 3,000 tasks drained from a backlog with 3,000 distinct numbers, then (a fresh fleet) over 200 numbers"
        case .drops:
            "Stripe at 50/s, 4 workers × 8 in flight, 25 fleet-wide slots, retries from 100 ms; 300 tasks drained while the sandbox drops 20% of connections unanswered"
        case .limit20x4, .limit20x16, .limit100, .limit1_5:
            "Stripe at \(sandboxLimit == "3/2s" ? "1.5/s" : sandboxLimit) (burst 1), \(self == .limit20x16 ? 16 : 4) workers × 8 in flight, \(tasks) tasks drained against the sandbox's sliding window of \(sandboxLimit)"
        case .sharedBudget:
            "Stripe at 20/s (burst 1), 4 workers × 8 in flight, 2,400 tasks against the sandbox's sliding window of 20/s; the sandbox's `sharedBudget` fault spends 30% of it for 60 s (14/s left), then stops; 60 s more"
        }
    }

    var queue: String { self == .keys ? "twilio-api" : "stripe-api" }

    /// The sandbox endpoint the tasks call, and the limit it counts them in.
    var endpoint: String { self == .keys ? "twilio.messages" : "stripe.payment_intents" }
    var limit: String { self == .keys ? "twilio.per_number" : "stripe.requests" }

    /// The queue's configured rate (before any change), requests/s.
    var rate: Double {
        switch self {
        case .setRate, .drops: 50
        case .scaleDown, .restart, .kill: 5
        case .keys: 150
        case .limit20x4, .limit20x16, .sharedBudget: 20
        case .limit100: 100
        case .limit1_5: 1.5
        }
    }

    /// The sandbox's window for the at-the-limit scenarios (Stripe's requests).
    var sandboxLimit: String {
        switch self {
        case .limit100: "100/s"
        case .limit1_5: "3/2s"
        default: "20/s"
        }
    }

    /// How far ahead the workers book: `maxConcurrentPerWorker` × the rate's
    /// interval within 200 ms–2 s, and for a keyed request two intervals, at
    /// least 20 ms (`Worker.bookingHorizon`), in seconds. What a change can
    /// strand; the tests allow it + 1 s to be back at the rate.
    var horizon: Double {
        switch self {
        case .setRate, .drops: 0.2
        case .scaleDown, .restart, .kill: 1.6
        case .keys: 0.02
        case .limit20x4, .limit20x16, .sharedBudget: 0.4
        case .limit100: 0.2
        case .limit1_5: 2
        }
    }

    var tasks: Int {
        switch self {
        case .setRate: 1000
        case .scaleDown, .restart, .kill: 200
        case .keys: 3000
        case .drops: 300
        case .limit20x4, .limit20x16: 400
        case .sharedBudget: 2400
        case .limit100: 1500
        case .limit1_5: 40
        }
    }

    /// `sluice sandbox --config`; `seed` sets the drop fault's dice.
    func sandboxConfiguration(seed: Int) -> String {
        switch self {
        case .keys:
            #"{"limits": {"twilio.per_number": "1/s"}}"#
        case .drops:
            #"{"limits": {"stripe.requests": "100/s"}, "faults": {"dropRatio": 0.2, "endpoints": ["stripe.payment_intents"]}, "seed": \#(seed)}"#
        case .setRate, .scaleDown, .restart, .kill:
            #"{"limits": {"stripe.requests": "100/s"}}"#
        case .limit20x4, .limit20x16, .limit100, .limit1_5, .sharedBudget:
            #"{"limits": {"stripe.requests": "\#(sandboxLimit)"}}"#
        }
    }

    /// The queue's JSON in the fleet's configuration.
    func queueJSON(baseURL: String) -> String {
        switch self {
        case .setRate:
            #"{"provider": "stripe", "baseURL": "\#(baseURL)", "rate": "50/s", "processes": 4, "maxConcurrentPerWorker": 8}"#
        case .scaleDown:
            #"{"provider": "stripe", "baseURL": "\#(baseURL)", "rate": "5/s", "processes": 8, "maxConcurrentPerWorker": 8}"#
        case .restart, .kill:
            #"{"provider": "stripe", "baseURL": "\#(baseURL)", "rate": "5/s", "processes": 4, "maxConcurrentPerWorker": 8}"#
        case .keys:
            #"{"provider": "twilio", "baseURL": "\#(baseURL)", "rate": "150/s", "processes": 2, "maxConcurrentPerWorker": 16, "accountSid": "ACsched", "perKey": {"rate": "0.9/s"}}"#
        case .drops:
            #"{"provider": "stripe", "baseURL": "\#(baseURL)", "rate": "50/s", "processes": 4, "maxConcurrentPerWorker": 8, "maxConcurrent": 25, "retry": {"initialInterval": "100ms"}}"#
        case .limit20x4, .limit20x16, .limit100, .limit1_5, .sharedBudget:
            #"{"provider": "stripe", "baseURL": "\#(baseURL)", "rate": "\#(self == .limit1_5 ? "1.5/s" : sandboxLimit)", "processes": \#(self == .limit20x16 ? 16 : 4), "maxConcurrentPerWorker": 8}"#
        }
    }

    /// The tasks as NDJSON lines; `keys` spreads them over `numbers` sending numbers.
    func taskLines(numbers: Int = ScheduleScenario.manyKeys) -> [String] {
        guard self == .keys else { return (0..<tasks).map(E2EQueuePlan(kind: .stripe, tasks: tasks).taskLine) }
        return (0..<tasks).map { index in
            let from = "+1555" + String(repeating: "0", count: 7 - String(index % numbers).count) + String(index % numbers)
            return #"{"id":"sms-\#(index)","kind":"send_sms","payload":{"To":"+15550100","From":"\#(from)","Body":"hi"}}"#
        }
    }
}
