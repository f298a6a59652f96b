import Foundation
import Glibc
import SluiceControl
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceSpool
import SluiceTestSupport
import Synchronization
import Testing

/// Proof under fire: a fleet of four queues under steady overload while
/// workers are SIGKILLed every 500 ms, one is frozen (SIGSTOP) for 5 s, the
/// supervisor is SIGKILLed once and started again, and the sandbox answers
/// 500s, slowly, or drops connections for a while. Then: no task lost, no
/// limit exceeded, every slot back, the fleet healthy.
///
/// Runs `SLUICE_CHAOS_SECONDS` (20 in `make test`, 60 in `make chaos`) and
/// prints its figures.
@Suite(.serialized) struct ChaosTests {
    static let queues = """
        {"sendgrid-api": {"provider": "sendgrid", "baseURL": "BASE", "rate": "540/min", "processes": 2},
         "stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "90/s", "processes": 3, "maxConcurrentPerWorker": 8,
                        "maxConcurrent": 16},
         "openai-api": {"provider": "openai", "baseURL": "BASE", "rate": "540/min", "processes": 2,
                        "weighted": [{"name": "tokens", "rate": "54000/min", "burst": 5400}]},
         "twilio-api": {"provider": "twilio", "baseURL": "BASE", "rate": "100/s", "processes": 2, "accountSid": "ACchaos",
                        "perKey": {"rate": "4/s"}}}
        """
    static let endpoints = ["sendgrid-api": "sendgrid.mail_send", "stripe-api": "stripe.payment_intents",
                            "openai-api": "openai.chat_completions", "twilio-api": "twilio.messages"]

    @Test func underFire_noTaskIsLost_noLimitIsExceeded_everySlotComesBack_andTheFleetRecovers() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["SLUICE_CHAOS_SECONDS"] ?? "") ?? 20
        let fixture = try FleetFixture(sandboxConfiguration: FleetEndToEndTests.sandboxLimits)
        try fixture.configure(queues: Self.queues, shutdownTimeout: "5s", extra: #""doneRetention": "1h","#)
        try fixture.startFleet()
        let producer = ChaosProducer(spoolRoot: fixture.spoolRoot)
        producer.start()
        defer { producer.stop() }

        var events = ChaosEvents()
        let began = MonotonicClock.now()
        func elapsed() -> Double { Double(MonotonicClock.now() - began) / 1e9 }
        var nextKill = 0.5
        var frozen: (pid: pid_t, until: Double)?
        var frozeOnce = false, faultsOn = false, faultsOff = false, supervisorKilled = false
        while elapsed() < seconds {
            usleep(50_000)
            let supervisor = fixture.fleetProcess?.pid ?? 0
            if elapsed() >= nextKill {
                nextKill += 0.5
                if let victim = childPIDs(of: supervisor).filter({ $0 != frozen?.pid }).randomElement(), kill(victim, SIGKILL) == 0 {
                    events.workersKilled += 1
                }
            }
            if !frozeOnce, elapsed() >= 0.15 * seconds, let victim = childPIDs(of: supervisor).randomElement() {
                kill(victim, SIGSTOP)
                frozen = (victim, elapsed() + 5)
                frozeOnce = true
            }
            if let current = frozen, elapsed() >= current.until {
                kill(current.pid, SIGCONT)
                frozen = nil
            }
            if !faultsOn, elapsed() >= 0.3 * seconds {
                try fixture.setFaults(#"{"errorRatio": 0.2, "errorStatus": 500, "dropRatio": 0.05, "latency": "150ms"}"#)
                faultsOn = true
            }
            if faultsOn, !faultsOff, elapsed() >= 0.45 * seconds {
                try fixture.setFaults("{}")
                faultsOff = true
            }
            if !supervisorKilled, elapsed() >= 0.6 * seconds {
                fixture.fleetProcess?.process.send(SIGKILL)
                _ = try fixture.fleetProcess?.wait()
                supervisorKilled = true
                try fixture.startFleet()
            }
        }
        if let current = frozen { kill(current.pid, SIGCONT) }
        producer.stop()
        let produced = producer.accepted

        // Let what is in flight finish: pause every queue, wait for no task in
        // hand and no slot held, and for every worker to be running again.
        for queue in Self.endpoints.keys { #expect(try fixture.api("POST", "/v1/queues/\(queue)/pause").status == 200) }
        var page = Exposition("")
        let settled = ChildProcessRunner.waitUntil(seconds: 30) {
            page = Exposition((try? fixture.api("GET", "/metrics")).map { String(decoding: $0.body, as: UTF8.self) } ?? "")
            return Self.endpoints.keys.allSatisfy { queue in
                page.value("sluice_inflight", ["queue": queue]) == 0 && page.value("sluice_concurrency_slots_in_use", ["queue": queue]) == 0
            }
        }
        #expect(settled, "every task in hand settled and every slot came back: \(page.samples.filter { ["sluice_inflight", "sluice_concurrency_slots_in_use"].contains($0.name) })")
        #expect(ChildProcessRunner.waitUntil(seconds: 30) { (try? fixture.api("GET", "/readyz"))?.status == 200 }, "the fleet is ready again")
        let stats = try fixture.stats()
        #expect(try fixture.stopFleet().0 == .exited(0))

        var lines = ["chaos: \(Int(seconds)) s; \(events.workersKilled) workers SIGKILLed, 1 SIGSTOPped for 5 s, the supervisor SIGKILLed once; sandbox faults from \(Int(0.3 * seconds)) s to \(Int(0.45 * seconds)) s",
                     "producer: \(producer.requests) ingest requests, \(producer.refused) refused or unanswered (retried with the same ids)"]
        for (queue, endpoint) in Self.endpoints.sorted(by: { $0.key < $1.key }) {
            let ids = produced[queue] ?? []
            let counts = try fixture.counts(queue)
            let queued = counts.readyDue + counts.readyWaiting + counts.leased + counts.journaled
            let total = counts.done + counts.dead + queued
            // Zero lost: every id answered 202 is in the spool, done, dead or queued.
            let spool = try SpoolQueue(root: fixture.spoolRoot, name: QueueName(validating: queue), create: false)
            let missing = try ids.filter { try spool.status(of: TaskID(validating: $0)) == nil }
            #expect(missing.isEmpty && total == ids.count, "\(queue): \(ids.count) enqueued, \(total) accounted for; missing \(missing.prefix(5))")
            let successes = number(stats, "endpoints", endpoint, "successes")
            let replays = number(stats, "endpoints", endpoint, "duplicates")
            let repeats = successes - counts.done
            // A request is repeated only if its worker died between the answer
            // and the settlement: at most what the killed workers had in hand.
            #expect(repeats >= 0 && repeats <= events.workersKilled * 8 + 8, "\(queue): \(repeats) repeated deliveries")
            #expect(number(stats, "endpoints", endpoint, "rateLimited") == 0, "\(endpoint): no 429 at the sandbox")
            lines.append("\(queue): enqueued \(ids.count) = done \(counts.done) + dead \(counts.dead) + still queued \(queued); lost \(missing.count); "
                         + "sandbox successes \(successes), repeated \(max(0, repeats))" + (replays > 0 ? ", idempotent replays \(replays) (not new charges)" : ""))
        }
        for limit in ["stripe.requests", "sendgrid.requests", "openai.requests", "openai.tokens", "twilio.per_number"] {
            let worst = number(stats, "limits", limit, "worstWindow")
            let allowed = number(stats, "limits", limit, "allowed")
            #expect(worst <= allowed, "\(limit): busiest window \(worst) of \(allowed) allowed")
            lines.append("limit \(limit): busiest sliding window \(worst) of \(allowed) allowed")
        }
        print(lines.joined(separator: "\n"))
    }
}

struct ChaosEvents {
    var workersKilled = 0
}

/// Enqueues faster than the limits drain, through the ingest API, on its own
/// thread. A batch that is refused or unanswered (the supervisor down,
/// draining) is sent again with the same ids until it is accepted, as a
/// producer should: ids make the retry safe.
final class ChaosProducer: @unchecked Sendable {
    private let spoolRoot: String
    private let state = Mutex(State())
    private var thread: PosixThread?

    private struct State {
        var stopped = false
        var accepted: [String: [String]] = [:]
        var requests = 0
        var refused = 0
    }

    /// Tasks per queue per 250 ms: about 1.7× each queue's rate.
    static let perTick = ["stripe-api": 38, "sendgrid-api": 4, "openai-api": 4, "twilio-api": 20]

    init(spoolRoot: String) { self.spoolRoot = spoolRoot }

    var accepted: [String: [String]] { state.withLock { $0.accepted } }
    var requests: Int { state.withLock { $0.requests } }
    var refused: Int { state.withLock { $0.refused } }

    func start() {
        thread = PosixThread.start { [self] in
            var serial = 0
            var pending: [String: [(id: String, line: String)]] = [:]
            while !state.withLock({ $0.stopped }) {
                for (queue, count) in Self.perTick {
                    if pending[queue, default: []].isEmpty {
                        pending[queue] = (0..<count).map { _ in
                            serial += 1
                            let id = "chaos-\(queue)-\(serial)"
                            return (id, Self.task(queue, id: id, serial: serial))
                        }
                    }
                    let batch = pending[queue]!
                    if send(batch.map(\.line), to: queue) {
                        state.withLock { $0.accepted[queue, default: []].append(contentsOf: batch.map(\.id)) }
                        pending[queue] = []
                    }
                }
                usleep(250_000)
            }
        }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        thread?.join()
        thread = nil
    }

    private func send(_ lines: [String], to queue: String) -> Bool {
        state.withLock { $0.requests += 1 }
        guard let endpoint = ControlEndpoint.read(root: spoolRoot),
              let response = try? ControlClient(address: endpoint.connectAddress, token: nil)
                .send("POST", "/v1/queues/\(queue)/tasks", body: Array(lines.joined(separator: "\n").utf8), contentType: "application/x-ndjson"),
              response.status == 202 else {
            state.withLock { $0.refused += 1 }
            return false
        }
        return true
    }

    static func task(_ queue: String, id: String, serial: Int) -> String {
        switch queue {
        case "stripe-api":
            #"{"id":"\#(id)","kind":"create_payment","payload":{"amount":\#(100 + serial % 900),"currency":"usd"}}"#
        case "sendgrid-api":
            #"{"id":"\#(id)","kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"b@example.com"},"subject":"hi","content":[{"type":"text/plain","value":"hello"}]}}"#
        case "openai-api":
            #"{"id":"\#(id)","kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":40}}"#
        default:
            #"{"id":"\#(id)","kind":"send_sms","payload":{"To":"+1555010\#(serial % 7)","From":"+1555020\#(serial % 10)","Body":"hi"}}"#
        }
    }
}

/// The live children of `parent`, from /proc.
func childPIDs(of parent: pid_t) -> [pid_t] {
    guard parent > 0, let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry -> pid_t? in
        guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields after the command: state, ppid, …; a zombie is not alive.
        guard fields.count > 1, fields[0] != "Z", pid_t(fields[1]) == parent else { return nil }
        return pid
    }
}
