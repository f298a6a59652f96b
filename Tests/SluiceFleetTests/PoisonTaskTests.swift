import Foundation
import Glibc
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceSpool
import SluiceTestSupport
import Testing

/// A task whose attempt kills its worker is counted on the task and, at its
/// second crash, dead-lettered; the queue keeps flowing, the tasks the worker
/// had in flight with it are not blamed, and the crash loop is not reached.
/// The crash is a real trap in a real worker (`WorkerFaults`, set by
/// `SLUICE_TEST_TRAP_TASK`), as `max_tokens` overflowing once made it.
@Suite(.serialized) struct PoisonTaskTests {
    static func lastError(_ fixture: FleetFixture, _ id: String) throws -> String? {
        if case .string(let text)? = try fixture.api("GET", "/v1/tasks/\(id)").json?["lastError"] { return text }
        return nil
    }

    @Test func aTaskThatCrashesItsWorker_isDeadAfterTwoCrashes_andTheQueueKeepsFlowing() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}, "faults": {"latency": "50ms"}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "40/s", "processes": 1, "maxConcurrentPerWorker": 8}}"#)
        var tasks = FleetEndToEndTests.payments(60, prefix: "fine")
        tasks.insert(#"{"id":"poison","kind":"create_payment","payload":{"amount":1,"currency":"usd"}}"#, at: 10)
        try fixture.enqueue("stripe-api", tasks)
        try fixture.startFleet(environment: FleetFixture.credentials.merging(["SLUICE_TEST_TRAP_TASK": "poison"]) { _, new in new })
        #expect(ChildProcessRunner.waitUntil(seconds: 60) {
            guard let counts = try? fixture.counts("stripe-api") else { return false }
            return counts.dead == 1 && counts.readyDue + counts.readyWaiting + counts.leased + counts.journaled == 0
        }, "the poison task dead, every other one sent")
        let reason = try Self.lastError(fixture, "poison")
        #expect(reason == "crashed its worker (signal 4)", "\(reason ?? "none")")
        let shown = try fixture.api("GET", "/v1/tasks/poison").message
        #expect(shown.contains("postponed to") && shown.contains("not spent: crashed its worker (signal 4)"), "the first crash is in its history: \(shown)")
        let ready = try fixture.api("GET", "/readyz")
        #expect(try fixture.stopFleet().0 == .exited(0))

        let events = fixture.fleetLog.compactMap(LoggedEvent.init)
        #expect(events.filter { $0.name == "worker.exited" && $0.fields["status"]?.contains("4") == true }.count == 2, "two traps")
        #expect(events.filter { $0.name == "task.crashed_worker" }.count == 1)
        #expect(events.contains { $0.name == "task.dead" && $0.fields["task"] == "poison" })
        #expect(!events.contains { $0.name == "worker.crash_loop" })
        #expect(ready.status == 200, "the queue's worker runs again: \(ready.message)")
        // Every innocent task in flight with the poison one was sent, none dead.
        #expect(number(try fixture.stats(), "endpoints", "stripe.payment_intents", "successes") == 60)
    }

    @Test func aWorkerAlone_blamesTheTaskItsPredecessorDiedOn() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "20/s"}}"#)
        try fixture.enqueue("stripe-api", [#"{"id":"poison","kind":"create_payment","payload":{"amount":1,"currency":"usd"}}"#]
                            + FleetEndToEndTests.payments(3, prefix: "alone"))
        let environment = FleetFixture.credentials.merging(["SLUICE_TEST_TRAP_TASK": "poison"]) { _, new in new }
        // As systemd's Restart= would: start the unit again after each death.
        var deaths: [SluicePOSIX.ExitStatus] = []
        for start in 0..<4 {
            let worker = try SpawnedChild(fixture.sluice, ["worker", "--config", fixture.configPath, "--queue", "stripe-api"],
                                          in: fixture.files, label: "worker-\(start)", environment: environment)
            let isDrained = { fixture.waitUntilDrained(["stripe-api"], seconds: 0) && (try? fixture.counts("stripe-api").dead) == 1 }
            _ = ChildProcessRunner.waitUntil(seconds: 15) { isDrained() || worker.errors.contains("Fatal error") }
            if isDrained() {
                worker.process.send(SIGTERM)
                #expect(try worker.wait() == .exited(0))
                break
            }
            deaths.append(try worker.wait())
        }
        #expect(deaths == [.signaled(SIGILL), .signaled(SIGILL)], "two crashes, then the task is dead and the worker lives")
        let spool = try SpoolQueue(root: fixture.spoolRoot, name: QueueName(validating: "stripe-api"), create: false)
        let dead = try #require(try spool.status(of: TaskID(validating: "poison"))?.record)
        #expect(dead.lastError?.hasPrefix("crashed its worker") == true, "\(dead.lastError ?? "none")")
        #expect(number(try fixture.stats(), "endpoints", "stripe.payment_intents", "successes") == 3)
    }

    /// The original poison: `max_tokens` at 2⁶⁴−1 overflowed the cost
    /// estimate and trapped every openai worker. Now it saturates: with a
    /// weighted limit the limiter refuses it (dead, once), without one it is
    /// sent; no worker dies either way.
    @Test func maxTokensAtTheLimit_neverCrashesAWorker() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"openai-api": {"provider": "openai", "baseURL": "BASE", "rate": "600/min", "weighted": [{"name": "tokens", "rate": "90000/min", "burst": 9000}]},
             "plain-api": {"provider": "openai", "baseURL": "BASE", "rate": "600/min"}}
            """)
        let huge = #"{"id":"huge","kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":18446744073709551615}}"#
        // Straight into the spools (no --config, so no door check): as a task queued before the fix would be.
        for queue in ["openai-api", "plain-api"] {
            let child = try SpawnedChild(fixture.sluice, ["enqueue", queue, "--spool", fixture.spoolRoot, "--json", huge],
                                         in: fixture.files, label: "enqueue-\(queue)")
            #expect(try child.wait() == .exited(0), "\(child.errors)")
        }
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["openai-api", "plain-api"], seconds: 20))
        let refused = try fixture.api("GET", "/v1/tasks/huge").json
        #expect(try fixture.stopFleet().0 == .exited(0))
        #expect(fixture.fleetLog.compactMap(LoggedEvent.init).allSatisfy { $0.name != "worker.exited" || $0.fields["status"] == "exited with code 0" },
                "no worker died")
        if case .string(let reason)? = refused?["lastError"] { #expect(reason.contains("larger than a weighted limit's burst"), "\(reason)") }
    }
}
