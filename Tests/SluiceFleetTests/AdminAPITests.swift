import Foundation
import Glibc
import SluiceControl
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing

/// The admin API and the CLI on top of it, against real fleets: a rate set
/// at runtime is the rate the sandbox sees, and stays after a restart;
/// scaling starts and drains workers; the token is enforced.
@Suite(.serialized) struct AdminAPITests {
    /// Requests the sandbox received on Stripe's endpoint.
    static func stripeRequests(_ fixture: FleetFixture) throws -> Int {
        number(try fixture.stats(), "endpoints", "stripe.payment_intents", "requests")
    }

    /// Requests per second the sandbox sees over `seconds`.
    static func measuredRate(_ fixture: FleetFixture, seconds: Double) throws -> Double {
        let start = try stripeRequests(fixture)
        let began = MonotonicClock.now()
        usleep(UInt32(seconds * 1e6))
        let end = try stripeRequests(fixture)
        return Double(end - start) / (Double(MonotonicClock.now() - began) / 1e9)
    }

    @Test func setRate_isTheRateTheSandboxSees_inEveryProcess_andSurvivesARestart() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "20/s", "processes": 3}}"#)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(600, prefix: "rate"))
        try fixture.startFleet()
        usleep(1_000_000)
        let configured = try Self.measuredRate(fixture, seconds: 3)
        #expect(configured > 16 && configured < 22, "configured 20/s, measured \(configured)/s")

        let (status, output, errors) = try fixture.cli(["queue", "set-rate", "stripe-api", "6/s"])
        #expect(status == .exited(0), "\(errors)")
        #expect(output.contains("6/s") && output.contains("set at runtime"), "\(output)")
        usleep(500_000)
        let lowered = try Self.measuredRate(fixture, seconds: 4)
        #expect(lowered > 4.5 && lowered < 7, "set 6/s, measured \(lowered)/s")

        #expect(try fixture.stopFleet().0 == .exited(0))
        try fixture.startFleet()
        usleep(1_000_000)
        let afterRestart = try Self.measuredRate(fixture, seconds: 3)
        #expect(afterRestart > 4.5 && afterRestart < 7.5, "after a restart, measured \(afterRestart)/s; the runtime rate must stay 6/s")
        let described = try fixture.api("GET", "/v1/queues/stripe-api")
        #expect(described.message.contains(#""configured":"6/s""#) && described.message.contains(#""setAtRuntime":true"#), "\(described.message)")
    }

    @Test func changesMadeWhileTheFleetIsDown_applyWhenItStarts() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: IngestAPITests.stripeQueue)
        let (status, output, errors) = try fixture.cli(["queue", "pause", "stripe-api"])
        #expect(status == .exited(0), "\(errors)")
        #expect(output.contains("not running") && output.contains("paused"), "\(output)")
        let (scaled, _, scaleErrors) = try fixture.cli(["queue", "scale", "stripe-api", "2"])
        #expect(scaled == .exited(0), "\(scaleErrors)")
        try fixture.startFleet()
        let described = try fixture.api("GET", "/v1/queues/stripe-api")
        #expect(described.message.contains(#""paused":true"#), "\(described.message)")
        #expect(ChildProcessRunner.waitUntil(seconds: 10) {
            (try? fixture.api("GET", "/v1/queues/stripe-api"))?.json?.integer(at: "workers", "running") == 2
        })
    }

    @Test func scale_startsWorkersAtOnce_andDrainsTheExtraOnesGracefully() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: IngestAPITests.stripeQueue)
        try fixture.startFleet()
        func running() -> Int? { (try? fixture.api("GET", "/v1/queues/stripe-api"))?.json?.integer(at: "workers", "running") }
        let up = try fixture.api("PUT", "/v1/queues/stripe-api/processes", body: #"{"processes": 3}"#)
        #expect(up.status == 200 && up.json?.integer(at: "from") == 1)
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { running() == 3 })

        let (status, output, errors) = try fixture.cli(["queue", "scale", "stripe-api", "1"])
        #expect(status == .exited(0), "\(errors)")
        #expect(output.contains("3 → 1"), "\(output)")
        #expect(ChildProcessRunner.waitUntil(seconds: 15) {
            let workers = (try? fixture.api("GET", "/v1/queues/stripe-api"))?.json
            return workers?.integer(at: "workers", "running") == 1 && workers?.integer(at: "workers", "stopping") == 0
        })
        let exits = fixture.fleetLog.filter { $0.contains("event=worker.exited") }
        #expect(exits.count == 2 && exits.allSatisfy { $0.contains("exited with code 0") }, "scaled-down workers drain and exit 0: \(exits)")
        let described = try fixture.api("GET", "/v1/queues/stripe-api").json
        #expect(described?.integer(at: "workers", "restarts") == 0 && described?.integer(at: "workers", "desired") == 1)
    }

    @Test func theToken_isRequiredOnV1Routes_whenConfigured_andBeyondLoopbackTheFleetWillNotStartWithoutOne() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: IngestAPITests.stripeQueue, listen: "0.0.0.0:0")
        let refused = try SpawnedChild(fixture.sluice, ["run", "--config", fixture.configPath], in: fixture.files,
                                       label: "no-token", environment: FleetFixture.credentials)
        #expect(try refused.wait() == .exited(2))
        #expect(refused.errors.contains("adminToken") && refused.errors.contains("listen"), "\(refused.errors)")

        let token = "t0ken-" + UniqueName.fleet("secret")
        try fixture.configure(queues: IngestAPITests.stripeQueue, extra: #""adminToken": "SLUICE_TEST_ADMIN_TOKEN","#)
        try fixture.startFleet(environment: FleetFixture.credentials.merging(["SLUICE_TEST_ADMIN_TOKEN": token]) { $1 })
        #expect(try fixture.api("POST", "/v1/queues/stripe-api/pause").status == 401)
        #expect(try fixture.api("POST", "/v1/queues/stripe-api/pause", token: "wrong-\(token)").status == 401)
        #expect(try fixture.api("GET", "/v1/queues").status == 401)
        #expect(try fixture.api("POST", "/v1/queues/stripe-api/pause", token: token).status == 200)
        #expect(try fixture.api("GET", "/metrics").status == 200, "/metrics stays open for Prometheus")
        #expect(try fixture.api("GET", "/healthz").status == 200)
        #expect(!fixture.fleetLog.contains { $0.contains(token) }, "the token never reaches the log")
        let (status, _, _) = try fixture.cli(["queue", "resume", "stripe-api"], environment: ["SLUICE_TEST_ADMIN_TOKEN": token])
        #expect(status == .exited(0), "the CLI takes the token from the configuration's adminToken credential")
    }

    @Test func top_underTmux_showsEveryQueue_andQuitsCleanlyOnQ() throws {
        let tmux = try requiredTool("tmux")
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: MetricsEndpointTests.queues)
        try fixture.startFleet()
        let socket = fixture.files.file("tmux.sock")
        let done = fixture.files.file("top.exit")
        defer { ChildProcessRunner.run(tmux, ["-S", socket, "kill-server"]) }
        let command = "\(fixture.sluice) top --config \(fixture.configPath); echo $? > \(done); sleep 5"
        #expect(ChildProcessRunner.run(tmux, ["-S", socket, "new-session", "-d", "-x", "120", "-y", "20", command]) == .exited(0))
        let screen = fixture.files.file("screen.txt")
        var text = ""
        #expect(ChildProcessRunner.waitUntil(seconds: 10) {
            ChildProcessRunner.run("/bin/sh", ["-c", "\(tmux) -S \(socket) capture-pane -p > \(screen)"])
            text = (try? String(contentsOfFile: screen, encoding: .utf8)) ?? ""
            return text.contains("stripe-api") && text.contains("sendgrid-api")
        }, "top showed: \(text)")
        #expect(text.contains("200/s") && text.contains("OBSERVED") && text.contains("2/2"), "\(text)")
        ChildProcessRunner.run(tmux, ["-S", socket, "send-keys", "q"])
        #expect(ChildProcessRunner.waitUntil(seconds: 5) { (try? String(contentsOfFile: done, encoding: .utf8)) == "0\n" })
    }

    @Test func setRate_onAnUnlimitedQueue_withoutABurst_takesTheConfiguredBurst_andTheFleetLivesOn() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "unlimited", "processes": 1}}"#)
        try fixture.startFleet()
        let response = try fixture.api("PUT", "/v1/queues/stripe-api/rate", body: #"{"rate": "10/s"}"#)
        #expect(response.status == 200 && response.json?.integer(at: "rate", "burst") == 1, "\(response.message)")
        #expect(try fixture.api("GET", "/healthz").status == 200)
        #expect(try fixture.stopFleet().0 == .exited(0))
        try fixture.startFleet()
        #expect(try fixture.api("GET", "/v1/queues/stripe-api").message.contains(#""configured":"10/s""#))
    }

    @Test func reset_makesWaitingRetriesDueNow_andDescribeShowsTheQueue() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "50/s", "processes": 1,
                            "retry": {"initialInterval": "10m", "maximumAttempts": 5, "jitter": 0}}}
            """)
        try fixture.setFaults(#"{"errorRatio": 1.0, "errorStatus": 503, "endpoints": ["stripe.payment_intents"]}"#)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(3, prefix: "reset"))
        try fixture.startFleet()
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { (try? fixture.counts("stripe-api"))?.readyWaiting == 3 },
                "three retries waiting for a 10 min backoff")
        try fixture.setFaults("{}")
        let (status, output, errors) = try fixture.cli(["queue", "reset", "stripe-api"])
        #expect(status == .exited(0), "\(errors)")
        #expect(Set(output.split(separator: "\n")) == ["reset-0", "reset-1", "reset-2"] && errors.contains("reset 3"), "\(output) \(errors)")
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 10), "the reset retries were sent at once")
        #expect(number(try fixture.stats(), "endpoints", "stripe.payment_intents", "successes") == 3)

        let (described, text, _) = try fixture.cli(["queue", "describe", "stripe-api"])
        #expect(described == .exited(0))
        #expect(text.contains("queue stripe-api (stripe)") && text.contains("50/s burst 1") && text.contains("succeeded 3"), "\(text)")
    }
}
