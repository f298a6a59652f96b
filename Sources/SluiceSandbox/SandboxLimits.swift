import SluiceCore
import SluiceJSON
/// Every limit the sandbox enforces, and the decision for one request.
///
/// A request is charged to all of its limits at once or to none: OpenAI's
/// requests and tokens windows, or Twilio's window of its sending number.
struct SandboxLimits {
    /// A limit's state, reported in the providers' rate-limit headers.
    struct Headroom {
        var limit: WindowLimit
        var remaining: UInt64
        var resetAfter: UInt64
    }

    /// The decision for one request.
    enum Decision {
        case admitted([SandboxLimitName: Headroom])
        /// `limit` refused it; retrying after `retryAfter` ns could succeed
        /// (nil: never, the cost exceeds the whole window).
        case refused(limit: SandboxLimitName, retryAfter: UInt64?, headroom: [SandboxLimitName: Headroom])
    }

    private let configured: [SandboxLimitName: WindowLimit]
    private var logs: [SandboxLimitName: SlidingLog] = [:]
    private var twilioNumbers: [String: SlidingLog] = [:]
    /// Per sending number: worst window and requests, kept for stats.
    private(set) var twilioNumberStats: [String: (worst: UInt64, requests: UInt64)] = [:]
    private var twilioWorst: UInt64 = 0

    init(_ configured: [SandboxLimitName: WindowLimit]) {
        self.configured = configured
        for (name, limit) in configured where name != .twilioPerNumber { logs[name] = SlidingLog(limit: limit) }
    }

    /// Decides and, if admitted, charges every limit of the request.
    mutating func decide(_ charges: [(SandboxLimitName, UInt64)], twilioNumber: String?, now: UInt64) -> Decision {
        var applicable: [(name: SandboxLimitName, cost: UInt64, log: SlidingLog)] = []
        for (name, cost) in charges { if let log = logs[name] { applicable.append((name, cost, log)) } }
        if let number = twilioNumber, let limit = configured[.twilioPerNumber] {
            applicable.append((.twilioPerNumber, 1, twilioNumbers[number] ?? SlidingLog(limit: limit)))
        }
        var refusal: (SandboxLimitName, UInt64?)?
        for index in applicable.indices {
            applicable[index].log.recordArrival(cost: applicable[index].cost, now: now)
            let wait = applicable[index].log.wait(forCost: applicable[index].cost, now: now)
            if wait != 0, refusal == nil { refusal = (applicable[index].name, wait) }
        }
        if refusal == nil {
            for index in applicable.indices { applicable[index].log.admit(cost: applicable[index].cost, now: now) }
        }
        var headroom: [SandboxLimitName: Headroom] = [:]
        for index in applicable.indices {
            let (remaining, resetAfter) = applicable[index].log.headroom(now: now)
            headroom[applicable[index].name] = Headroom(limit: applicable[index].log.limit, remaining: remaining, resetAfter: resetAfter)
            store(applicable[index].log, as: applicable[index].name, twilioNumber: twilioNumber, now: now)
        }
        if let (name, wait) = refusal { return .refused(limit: name, retryAfter: wait, headroom: headroom) }
        return .admitted(headroom)
    }

    /// Charges `cost` to `name` at `instant` if its window has room, without
    /// counting an arrival: the `sharedBudget` fault's unseen client, whose
    /// requests must not show in the worst window the client under test is
    /// judged by. Requires: instants no earlier than any charged before.
    mutating func spendUnseen(_ name: SandboxLimitName, cost: UInt64, at instant: UInt64) -> Bool {
        // Mutated in place through the dictionary: a copy would copy the whole window's log each time.
        logs[name]?.admitIfRoom(cost: cost, now: instant) ?? false
    }

    /// The headroom of the shared limits, charging nothing (for a forced 429's headers).
    mutating func peek(_ names: [SandboxLimitName], now: UInt64) -> [SandboxLimitName: Headroom] {
        var headroom: [SandboxLimitName: Headroom] = [:]
        for name in names {
            guard var log = logs[name] else { continue }
            let (remaining, resetAfter) = log.headroom(now: now)
            headroom[name] = Headroom(limit: log.limit, remaining: remaining, resetAfter: resetAfter)
            logs[name] = log
        }
        return headroom
    }

    private mutating func store(_ log: SlidingLog, as name: SandboxLimitName, twilioNumber: String?, now: UInt64) {
        guard name == .twilioPerNumber, let number = twilioNumber else {
            logs[name] = log
            return
        }
        twilioNumbers[number] = log
        twilioWorst = max(twilioWorst, log.worstArrivals)
        if twilioNumberStats.count < 10_000 || twilioNumberStats[number] != nil {
            let previous = twilioNumberStats[number] ?? (0, 0)
            twilioNumberStats[number] = (max(previous.worst, log.worstArrivals), previous.requests + 1)
        }
        // Numbers come and go; forget the windows of those gone quiet.
        if twilioNumbers.count > 10_000 {
            for (key, var old) in twilioNumbers where old.isEmpty(now: now) { twilioNumbers[key] = nil }
        }
    }

    /// Per limit: allowed, worst window of arrivals, admitted now; per Twilio number too.
    mutating func json(now: UInt64) -> JSONValue {
        var members: [(String, JSONValue)] = []
        for name in SandboxLimitName.allCases {
            guard let limit = configured[name] else {
                members.append((name.rawValue, .object([("limit", .string("unlimited"))])))
                continue
            }
            let unit: JSONValue = .string(name == .openaiTokens ? "tokens" : "requests")
            var fields: [(String, JSONValue)] = [("limit", .string(limit.text)), ("window", .string(DurationText.seconds(limit.window))),
                                                 ("unit", unit), ("allowed", .integer(Int(limit.allowed)))]
            if name == .twilioPerNumber {
                fields += [("worstWindow", .integer(Int(twilioWorst))), ("numbers", .integer(twilioNumbers.count))]
            } else if var log = logs[name] {
                fields += [("worstWindow", .integer(Int(log.worstArrivals))), ("current", .integer(Int(log.current(now: now)))),
                           ("total", .integer(Int(log.totalArrived)))]
                logs[name] = log
            }
            members.append((name.rawValue, .object(fields)))
        }
        return .object(members)
    }

    var twilioNumbersJSON: JSONValue {
        let allowed = Int(configured[.twilioPerNumber]?.allowed ?? 0)
        return .object(twilioNumberStats.keys.sorted().map { number in
            let entry = twilioNumberStats[number] ?? (0, 0)
            return (number, .object([("requests", .integer(Int(entry.requests))), ("worstWindow", .integer(Int(entry.worst))), ("allowed", .integer(allowed))]))
        })
    }
}
