import Foundation
import Glibc
import SluiceCore
import SluiceJSON
import SluiceLimiter
import SluicePOSIX
import SluiceTestSupport
import Testing

/// The fleet against the sandbox: real processes, real sockets on
/// 127.0.0.1, real signals. The sandbox is the judge: it enforces the
/// providers' limits and reports what it saw.
@Suite(.serialized) struct FleetEndToEndTests {
    /// The sandbox's limits (test-speed versions of the seed's) …
    static let sandboxLimits = """
        {"limits": {"sendgrid.requests": "600/min", "stripe.requests": "100/s", "openai.requests": "600/min",
                    "openai.tokens": "60000/min", "twilio.per_number": "5/s"}}
        """
    /// … and the fleet at 90% of each.
    static let fourQueues = """
        {"sendgrid-api": {"provider": "sendgrid", "baseURL": "BASE", "rate": "540/min", "processes": 2},
         "stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "90/s", "processes": 4, "maxConcurrentPerWorker": 8},
         "openai-api": {"provider": "openai", "baseURL": "BASE", "rate": "540/min", "processes": 2,
                        "weighted": [{"name": "tokens", "rate": "54000/min", "burst": 5400}]},
         "twilio-api": {"provider": "twilio", "baseURL": "BASE", "rate": "100/s", "processes": 3, "accountSid": "ACe2e",
                        "perKey": {"rate": "4.5/s"}}}
        """

    static func payments(_ count: Int, prefix: String = "pay") -> [String] {
        (0..<count).map { #"{"id":"\#(prefix)-\#($0)","kind":"create_payment","payload":{"amount":\#(100 + $0),"currency":"usd"}}"# }
    }

    @Test func fleet_drains2000TasksWithinEveryLimit() throws {
        let fixture = try FleetFixture(sandboxConfiguration: Self.sandboxLimits)
        try fixture.configure(queues: Self.fourQueues)
        try fixture.enqueue("stripe-api", Self.payments(1000))
        try fixture.enqueue("sendgrid-api", (0..<200).map { _ in
            #"{"kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"b@example.com"},"subject":"hi","content":[{"type":"text/plain","value":"hello"}]}}"#
        })
        try fixture.enqueue("openai-api", (0..<200).map { _ in
            #"{"kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":40}}"#
        })
        try fixture.enqueue("twilio-api", (0..<600).map { #"{"kind":"send_sms","payload":{"To":"+1555010\#($0 % 7)","From":"+1555020\#($0 % 10)","Body":"hi"}}"# })
        try fixture.startFleet()
        let queues = ["stripe-api", "sendgrid-api", "openai-api", "twilio-api"]
        #expect(fixture.waitUntilDrained(queues, seconds: 90), "drained")
        let (status, _) = try fixture.stopFleet()
        #expect(status == .exited(0))
        for queue in queues { #expect(try fixture.counts(queue).dead == 0, "\(queue): nothing dead") }

        let stats = try fixture.stats()
        for (endpoint, expected) in [("stripe.payment_intents", 1000), ("sendgrid.mail_send", 200), ("openai.chat_completions", 200), ("twilio.messages", 600)] {
            #expect(number(stats, "endpoints", endpoint, "successes") == expected, "\(endpoint) completed")
            #expect(number(stats, "endpoints", endpoint, "rateLimited") == 0, "\(endpoint): no 429 at the sandbox")
        }
        #expect(number(stats, "endpoints", "stripe.payment_intents", "duplicates") == 0)
        let log = fixture.fleetLog.joined(separator: "\n")
        for secret in FleetFixture.credentials.values { #expect(!log.contains(secret), "no credential in the logs") }
        for limit in ["stripe.requests", "sendgrid.requests", "openai.requests", "openai.tokens", "twilio.per_number"] {
            let worst = number(stats, "limits", limit, "worstWindow")
            let allowed = number(stats, "limits", limit, "allowed")
            #expect(worst > 0 && worst <= allowed, "\(limit): busiest window \(worst) of \(allowed) allowed")
        }
    }

    @Test func retryAfter_isHonouredExactlyAndHoldsTheWholeQueue() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "20/s", "processes": 3}}"#)
        try fixture.setFaults(#"{"force429": [{"endpoint": "stripe.payment_intents", "count": 1, "retryAfter": 2}]}"#)
        try fixture.enqueue("stripe-api", Self.payments(40))
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 30))
        #expect(try fixture.stopFleet().0 == .exited(0))
        let stats = try fixture.stats()
        #expect(number(stats, "endpoints", "stripe.payment_intents", "rateLimited") == 1)
        #expect(number(stats, "endpoints", "stripe.payment_intents", "successes") == 40)
        #expect(try fixture.counts("stripe-api").dead == 0, "a 429 with Retry-After spends no attempt")

        // After the push-back, no process starts a request for 2 s: the
        // only completions in that gap are requests already on the wire.
        let events = fixture.fleetLog.compactMap(LoggedEvent.init)
        let pushed = try #require(events.first { $0.name == "queue.pushed_back" })
        let completions = events.filter { $0.name == "task.done" }.map(\.time)
        let inGap = completions.filter { $0 > pushed.time + 0.1 && $0 < pushed.time + 1.95 }
        #expect(inGap.isEmpty, "completions inside the 2 s push-back: \(inGap.count)")
        let postponed = try #require(events.first { $0.name == "task.retry" && $0.fields["reason"]?.hasPrefix("HTTP 429") == true })
        #expect(completions.contains { $0 >= pushed.time + 1.95 }, "work resumed after the push-back")
        #expect(postponed.fields["retry_in_s"].flatMap(Double.init).map { $0 > 1.9 && $0 <= 2.0 } == true, "retried exactly 2 s later")
    }

    @Test func failures_areRetriedOrDeadAsTheyDeserve() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "50/s",
                            "retry": {"initialInterval": "100ms", "maximumAttempts": 3, "jitter": 0}},
             "sendgrid-api": {"provider": "sendgrid", "baseURL": "BASE", "rate": "50/s"},
             "hooks": {"provider": "http", "baseURL": "BASE", "rate": "50/s"}}
            """)
        // Every Stripe answer is a 503: three attempts, then dead with the last error.
        try fixture.setFaults(#"{"errorRatio": 1.0, "errorStatus": 503, "endpoints": ["stripe.payment_intents"]}"#)
        try fixture.enqueue("stripe-api", Self.payments(3))
        // SendGrid refuses a mail without subject or content: the door refuses it
        // too, so it is written unchecked, as before the door; sent, 400, dead at once.
        try fixture.enqueueUnchecked("sendgrid-api", [#"{"id":"bad-mail","kind":"send_email","payload":{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"b@example.com"}}}"#])
        // A task asking for another host is refused at the door; one already in the
        // spool (written before the door existed) is dead before anything is sent.
        try fixture.enqueueUnchecked("hooks", [#"{"id":"escape","kind":"http","payload":{"method":"POST","path":"//evil.example/steal"}}"#])
        try fixture.startFleet()
        #expect(ChildProcessRunner.waitUntil(seconds: 30) {
            ((try? fixture.counts("stripe-api").dead) ?? 0) == 3 && ((try? fixture.counts("sendgrid-api").dead) ?? 0) == 1
                && ((try? fixture.counts("hooks").dead) ?? 0) == 1
        })
        #expect(try fixture.stopFleet().0 == .exited(0))
        let stats = try fixture.stats()
        #expect(number(stats, "endpoints", "stripe.payment_intents", "requests") == 9, "3 tasks × 3 attempts")
        #expect(number(stats, "endpoints", "sendgrid.mail_send", "requests") == 1, "a 400 is not retried")
        let dead = fixture.fleetLog.compactMap(LoggedEvent.init).filter { $0.name == "task.dead" }
        #expect(dead.filter { $0.fields["reason"]?.hasPrefix("attempt 3 of 3 failed: HTTP 503") == true }.count == 3)
        #expect(dead.contains { $0.fields["task"] == "escape" && $0.fields["reason"]?.contains("the host is the queue's") == true })
        #expect(dead.contains { $0.fields["task"] == "bad-mail" && $0.fields["reason"]?.hasPrefix("HTTP 400") == true })
    }

    @Test func droppedConnections_areRetriedUntilDone() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "50/s", "processes": 2, "requestTimeout": "2s",
                            "retry": {"initialInterval": "50ms", "maximumInterval": "1s", "maximumAttempts": 40, "jitter": 0}}}
            """)
        try fixture.setFaults(#"{"dropRatio": 0.5, "endpoints": ["stripe.payment_intents"]}"#)
        try fixture.enqueue("stripe-api", Self.payments(30))
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 60))
        #expect(try fixture.stopFleet().0 == .exited(0))
        #expect(try fixture.counts("stripe-api").dead == 0)
        let stats = try fixture.stats()
        #expect(number(stats, "endpoints", "stripe.payment_intents", "dropped") > 0, "the fault happened")
        let retries = fixture.fleetLog.compactMap(LoggedEvent.init).filter { $0.name == "task.retry" }
        #expect(retries.contains { $0.fields["reason"]?.hasPrefix("transport:") == true })
        // A dropped request may have been processed: the idempotency key makes its retry a replay, not a new charge.
        #expect(number(stats, "endpoints", "stripe.payment_intents", "successes") == 30)
    }

    @Test func sigterm_underLoad_drainsWithinTheTimeoutLosingNothing() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}, "faults": {"latency": "300ms"}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "60/s", "processes": 3, "maxConcurrentPerWorker": 8}}"#,
                              shutdownTimeout: "5s")
        try fixture.enqueue("stripe-api", Self.payments(600))
        try fixture.startFleet()
        usleep(2_000_000)
        let (status, seconds) = try fixture.stopFleet()
        #expect(status == .exited(0))
        #expect(seconds < 5 + 3, "stopped within the shutdown timeout (took \(seconds) s)")
        let counts = try fixture.counts("stripe-api")
        let stats = try fixture.stats()
        let completed = number(stats, "endpoints", "stripe.payment_intents", "successes")
        #expect(counts.leased == 0, "every lease settled or released")
        #expect(completed > 0 && completed < 600, "stopped mid-way (\(completed) done)")
        #expect(completed + counts.readyDue + counts.readyWaiting + counts.dead == 600, "enqueued = completed + ready + dead")
        #expect(number(stats, "endpoints", "stripe.payment_intents", "duplicates") == 0)
    }

    @Test func sigkillOfAWorker_isRestartedAndLosesNothing() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"stripe.requests": "100/s"}, "faults": {"latency": "50ms"}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "90/s", "processes": 3, "maxConcurrent": 12}}"#)
        try fixture.enqueue("stripe-api", Self.payments(500))
        try fixture.startFleet()
        usleep(1_500_000)
        let started = fixture.fleetLog.compactMap(LoggedEvent.init).filter { $0.name == "worker.started" && $0.fields["component"] == "supervisor" }
        let victim = try #require(started.first.flatMap { $0.fields["pid"] }.flatMap { pid_t($0) })
        kill(victim, SIGKILL)
        #expect(ChildProcessRunner.waitUntil(seconds: 10) {
            fixture.fleetLog.compactMap(LoggedEvent.init).filter { $0.name == "worker.started" && $0.fields["component"] == "supervisor" }.count > started.count
        }, "restarted")
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 60))
        #expect(try fixture.stopFleet().0 == .exited(0))
        let exited = try #require(fixture.fleetLog.compactMap(LoggedEvent.init).first { $0.name == "worker.exited" && $0.fields["pid"] == "\(victim)" })
        #expect(exited.fields["status"] == "killed by signal 9")
        let slots = try Coordinator.attach(fleet: FleetName(validating: fixture.fleet.name)).queue(QueueName(validating: "stripe-api")).slotsInUse
        #expect(slots == 0, "every concurrency slot is back, the killed worker's included")
        let stats = try fixture.stats()
        #expect(try fixture.counts("stripe-api").dead == 0)
        #expect(number(stats, "endpoints", "stripe.payment_intents", "successes") == 500, "every task completed once")
        #expect(number(stats, "endpoints", "stripe.payment_intents", "rateLimited") == 0)
        #expect(number(stats, "limits", "stripe.requests", "worstWindow") <= number(stats, "limits", "stripe.requests", "allowed"))
    }

    @Test func secondSigint_stopsAtOnce() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}, "faults": {"latency": "3s"}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "20/s", "processes": 2}}"#,
                              shutdownTimeout: "30s")
        try fixture.enqueue("stripe-api", Self.payments(50))
        try fixture.startFleet()
        usleep(800_000) // requests are now in flight, each answered after 3 s
        let fleet = try #require(fixture.fleetProcess)
        let started = MonotonicClock.now()
        fleet.process.send(SIGINT)
        #expect(ChildProcessRunner.waitUntil(seconds: 5) { fleet.errors.contains("event=fleet.draining") })
        fleet.process.send(SIGINT)
        #expect(try fleet.wait() == .exited(130))
        #expect(Double(MonotonicClock.now() - started) / 1e9 < 5, "did not wait for the 30 s shutdown timeout")
        // Whatever was in flight is leased by dead workers: the next start returns it.
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 60))
        #expect(try fixture.stopFleet().0 == .exited(0))
        #expect(try fixture.counts("stripe-api").dead == 0)
    }

    @Test func sigkillOfTheSupervisor_takesItsWorkersAlongAndLosesNothing() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}, "faults": {"latency": "100ms"}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "40/s", "processes": 3}}"#)
        try fixture.enqueue("stripe-api", Self.payments(200))
        try fixture.startFleet()
        usleep(1_500_000)
        let workers = fixture.fleetLog.compactMap(LoggedEvent.init)
            .filter { $0.name == "worker.started" && $0.fields["component"] == "supervisor" }
            .compactMap { $0.fields["pid"].flatMap { pid_t($0) } }
        #expect(workers.count == 3)
        let fleet = try #require(fixture.fleetProcess)
        fleet.process.send(SIGKILL)
        #expect(try fleet.wait() == .signaled(SIGKILL))
        // PR_SET_PDEATHSIG: each worker gets SIGTERM, drains and exits.
        #expect(ChildProcessRunner.waitUntil(seconds: 15) { workers.allSatisfy { !ProcessLiveness.isAlive($0) } },
                "no worker outlives the supervisor")
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 60))
        #expect(try fixture.stopFleet().0 == .exited(0))
        let stats = try fixture.stats()
        #expect(try fixture.counts("stripe-api").dead == 0)
        #expect(number(stats, "endpoints", "stripe.payment_intents", "successes") == 200, "every payment made, once")
    }

    @Test func missingCredential_isAClearStartUpError() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "1/s"}}"#)
        var environment = FleetFixture.credentials
        environment["STRIPE_API_KEY"] = ""
        let run = try SpawnedChild(fixture.sluice, ["run", "--config", fixture.files.file("fleet.json")], in: fixture.files,
                                   label: "no-key", environment: environment)
        #expect(try run.wait() == .exited(2))
        #expect(run.errors.contains("config: queues.stripe-api.credential: STRIPE_API_KEY is not set"))
        #expect(!FileManager.default.fileExists(atPath: "/dev/shm/sluice.\(fixture.fleet.name)"), "nothing was started")
    }
}
