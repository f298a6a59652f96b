/// What `sluice bench e2e` drains: the sandbox's limits, the fleet's four
/// queues at 90% of them, and how the tasks are split between the queues.
///
/// The limits are the end-to-end test's (test-speed versions of the seed's),
/// written per second rather than per minute: a 60 s window would never fill
/// in a 40 s run, so a per-minute limit would be checked zero times; a 1 s
/// window is checked throughout (arrivals in every window of 1 s ≤ allowed).
/// Averages are the same as the test's: SendGrid and OpenAI 600/min = 10/s.
struct E2EScenario {
    /// `sluice sandbox --config` JSON.
    static let sandboxConfiguration = """
        {"limits": {"sendgrid.requests": "10/s", "stripe.requests": "100/s", "openai.requests": "10/s",
                    "openai.tokens": "1000/s", "twilio.per_number": "5/s"}}
        """

    /// The `twilio-api` tasks' sending numbers (`From`), used in turn: each
    /// number is its own 4.5/s limit, so the queue drains at 2 × 4.5/s.
    static let twilioNumbers = 2

    let queues: [E2EQueuePlan]

    /// The fleet's share of `tasks` per queue: Stripe (90/s) gets 46%, the
    /// three 9/s queues 18% each, so with 2,000 tasks those three drain in
    /// about 40 s and Stripe in about 10 s; the run lasts about 40 s.
    init(tasks: Int) {
        let shares: [(E2EQueuePlan.Kind, Double)] = [(.stripe, 0.46), (.sendgrid, 0.18), (.openai, 0.18), (.twilio, 0.18)]
        var counts = shares.map { Int((Double(tasks) * $0.1).rounded(.down)) }
        counts[0] += tasks - counts.reduce(0, +)
        queues = zip(shares, counts).map { E2EQueuePlan(kind: $0.0, tasks: $1) }
    }

    /// The fleet's `sluice run --config` JSON.
    func fleetConfiguration(fleet: String, spool: String, baseURL: String) -> String {
        Self.fleetConfiguration(fleet: fleet, spool: spool, queues: queues.map { ($0.name, $0.queueJSON(baseURL: baseURL)) })
    }

    /// A bench fleet's `sluice run --config` JSON: `queues` as (name, the queue's JSON object),
    /// its control plane on a port the OS picks, 10 s for requests in flight at a stop.
    static func fleetConfiguration(fleet: String, spool: String, queues: [(name: String, json: String)]) -> String {
        let members = queues.map { "\"\($0.name)\": \($0.json)" }.joined(separator: ",\n  ")
        return """
            {"fleet": "\(fleet)", "spool": "\(spool)", "shutdownTimeout": "10s", "listen": "127.0.0.1:0",
             "queues": {
              \(members)}}
            """
    }
}

/// One queue of the drain: its fleet configuration (90% of the sandbox's
/// limits, 2–4 processes), its tasks, and where the sandbox counts them.
struct E2EQueuePlan {
    enum Kind: String { case stripe, sendgrid, openai, twilio }

    let kind: Kind
    let tasks: Int

    var name: String { "\(kind.rawValue)-api" }

    /// The sandbox's stats name for the endpoint these tasks call.
    var endpoint: String {
        switch kind {
        case .stripe: "stripe.payment_intents"
        case .sendgrid: "sendgrid.mail_send"
        case .openai: "openai.chat_completions"
        case .twilio: "twilio.messages"
        }
    }

    /// The sandbox limits these tasks are charged to.
    var sandboxLimits: [String] {
        switch kind {
        case .stripe: ["stripe.requests"]
        case .sendgrid: ["sendgrid.requests"]
        case .openai: ["openai.requests", "openai.tokens"]
        case .twilio: ["twilio.per_number"]
        }
    }

    /// The sandbox's request limit on this queue, all keys together, per second, for
    /// charts: `sandboxConfiguration`'s, with Twilio's 5/s for each of its numbers.
    var sandboxRequestsPerSecond: Double {
        switch kind {
        case .stripe: 100
        case .sendgrid, .openai: 10
        case .twilio: 5 * Double(E2EScenario.twilioNumbers)
        }
    }

    /// The fleet's request rate on this queue, all keys together, per second (`queueJSON`'s).
    var fleetRequestsPerSecond: Double {
        switch kind {
        case .stripe: 90
        case .sendgrid, .openai: 9
        case .twilio: 4.5 * Double(E2EScenario.twilioNumbers)
        }
    }

    /// The queue's configuration: 90% of the sandbox's limits. A weighted
    /// burst is sized so rate·1 s + burst stays under the 1 s window.
    func queueJSON(baseURL: String) -> String {
        switch kind {
        case .stripe:
            #"{"provider": "stripe", "baseURL": "\#(baseURL)", "rate": "90/s", "processes": 4, "maxConcurrentPerWorker": 8}"#
        case .sendgrid:
            #"{"provider": "sendgrid", "baseURL": "\#(baseURL)", "rate": "9/s", "processes": 2}"#
        case .openai:
            #"{"provider": "openai", "baseURL": "\#(baseURL)", "rate": "9/s", "processes": 2, "weighted": [{"name": "tokens", "rate": "900/s", "burst": 100}]}"#
        case .twilio:
            #"{"provider": "twilio", "baseURL": "\#(baseURL)", "rate": "100/s", "processes": 3, "accountSid": "ACbench", "perKey": {"rate": "4.5/s"}}"#
        }
    }

    /// Task number `index` as an NDJSON line (the end-to-end test's shapes).
    func taskLine(_ index: Int) -> String {
        switch kind {
        case .stripe:
            #"{"id":"pay-\#(index)","kind":"create_payment","payload":{"amount":\#(100 + index),"currency":"usd"}}"#
        case .sendgrid:
            #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"b@example.com"},"subject":"hi","content":[{"type":"text/plain","value":"hello"}]}}"#
        case .openai:
            #"{"kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":40}}"#
        case .twilio:
            #"{"kind":"send_sms","payload":{"To":"+1555010\#(index % 7)","From":"+1555020\#(index % E2EScenario.twilioNumbers)","Body":"hi"}}"#
        }
    }
}
