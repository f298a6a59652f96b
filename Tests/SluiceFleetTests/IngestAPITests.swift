import Foundation
import Glibc
import SluiceControl
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceSpool
import SluiceTestSupport
import Testing

/// `POST /v1/queues/{queue}/tasks` against a real fleet: durable before
/// 202, every error status, idempotent ids, a full disk.
@Suite(.serialized) struct IngestAPITests {
    static let stripeQueue = #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "50/s", "processes": 1}}"#

    /// A fleet whose stripe queue is paused, so accepted tasks stay in the spool.
    static func pausedFleet(spoolRoot: String? = nil) throws -> FleetFixture {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: stripeQueue)
        try fixture.startFleet()
        let paused = try fixture.api("POST", "/v1/queues/stripe-api/pause")
        guard paused.status == 200 else { throw FixtureError("pause answered \(paused.status)") }
        return fixture
    }

    static func ids(_ response: ControlClient.Response) -> [String] {
        guard case .array(let tasks)? = response.json?["tasks"] else { return [] }
        return tasks.compactMap { if case .object(let task) = $0, case .string(let id)? = task["id"] { id } else { nil } }
    }

    @Test func a202_meansTheTasksAreOnDisk_evenWhenTheFleetIsKilledRightAfter() throws {
        let fixture = try Self.pausedFleet()
        let lines = FleetEndToEndTests.payments(50, prefix: "durable")
        let response = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: lines.joined(separator: "\n"),
                                       contentType: "application/x-ndjson")
        // SIGKILL the supervisor the moment the answer is in: its workers die with it.
        fixture.fleetProcess?.process.send(SIGKILL)
        _ = try fixture.fleetProcess?.wait()
        #expect(response.status == 202)
        let ids = Self.ids(response)
        #expect(ids == (0..<50).map { "durable-\($0)" })
        let spool = try SpoolQueue(root: fixture.spoolRoot, name: QueueName(validating: "stripe-api"), create: false)
        for id in ids {
            #expect(try spool.status(of: TaskID(validating: id)) != nil, "task \(id) was answered 202 but is not in the spool")
        }
    }

    @Test func idempotentIDs_areAcceptedOnce_andAnsweredExistingAfter() throws {
        let fixture = try Self.pausedFleet()
        let task = #"{"id": "order-42", "kind": "create_payment", "payload": {"amount": 100, "currency": "usd"}}"#
        let first = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: task)
        let second = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: task)
        #expect(first.status == 202 && second.status == 202)
        #expect(first.message.contains(#""status":"accepted""#))
        #expect(second.message.contains(#""status":"existing""#), "\(second.message)")
        let counts = try fixture.counts("stripe-api")
        #expect(counts.readyDue + counts.readyWaiting + counts.journaled == 1)
        let metrics = Exposition(String(decoding: try fixture.api("GET", "/metrics").body, as: UTF8.self))
        #expect(metrics.value("sluice_tasks_enqueued_total", ["queue": "stripe-api"]) == 1)
        let shown = try fixture.api("GET", "/v1/tasks/order-42")
        #expect(shown.status == 200 && shown.message.contains(#""state":"ready""#), "\(shown.message)")
    }

    @Test func badInput_getsTheRightStatus_namesTheProblem_andQueuesNothing() throws {
        let fixture = try Self.pausedFleet()
        let good = #"{"kind": "create_payment", "payload": {"amount": 1, "currency": "usd"}}"#
        let badThird = [good, good, #"{"kind": "create_payment", "payload": {}, "colour": "red"}"#, good].joined(separator: "\n")
        let refused = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: badThird, contentType: "application/x-ndjson")
        #expect(refused.status == 400)
        #expect(refused.message.contains("line 3") && refused.message.contains("colour"), "\(refused.message)")

        let notJSON = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: "{nope")
        #expect(notJSON.status == 400)
        let wrongType = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: good, contentType: "text/plain")
        #expect(wrongType.status == 415 && wrongType.message.contains("-H 'Content-Type: application/json'"), "\(wrongType.message)")
        let unknownQueue = try fixture.api("POST", "/v1/queues/nope-api/tasks", body: good)
        #expect(unknownQueue.status == 404 && unknownQueue.message.contains("stripe-api"))
        let huge = String(repeating: good + "\n", count: (9 << 20) / (good.count + 1))
        let tooLarge = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: huge, contentType: "application/x-ndjson")
        #expect(tooLarge.status == 413)
        let tooMany = String(repeating: good + "\n", count: 10_001)
        let overBatch = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: tooMany, contentType: "application/x-ndjson")
        #expect(overBatch.status == 413 && overBatch.message.contains("smaller batches"), "\(overBatch.message)")
        let badRate = try fixture.api("PUT", "/v1/queues/stripe-api/rate", body: #"{"rate": "lots"}"#)
        #expect(badRate.status == 400 && badRate.message.hasPrefix("rate:"))
        let unknownField = try fixture.api("PUT", "/v1/queues/stripe-api/processes", body: #"{"processes": 2, "nodes": 3}"#)
        #expect(unknownField.status == 400 && unknownField.message.contains("nodes"))

        let counts = try fixture.counts("stripe-api")
        #expect(counts.readyDue + counts.readyWaiting + counts.journaled + counts.leased == 0, "a refused request queued nothing")
        #expect(try fixture.api("GET", "/healthz").status == 200)
    }

    @Test func whileDraining_ingestAndReadinessAnswer503_andMetricsStillAnswer() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}, "faults": {"latency": "3s"}}"#)
        try fixture.configure(queues: Self.stripeQueue, shutdownTimeout: "10s")
        try fixture.startFleet()
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { (try? fixture.api("GET", "/readyz"))?.status == 200 })
        // A slow request in flight keeps the worker (and so the fleet) draining.
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(1, prefix: "slow"))
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { ((try? fixture.stats()).map { number($0, "endpoints", "stripe.payment_intents", "requests") } ?? 0) == 1 })
        let address = try fixture.controlAddress()
        fixture.fleetProcess?.process.send(SIGTERM)
        let client = ControlClient(address: address, token: nil)
        var ingest: ControlClient.Response?
        #expect(ChildProcessRunner.waitUntil(seconds: 5) {
            ingest = try? client.send("POST", "/v1/queues/stripe-api/tasks", body: Array(#"{"kind": "create_payment", "payload": {}}"#.utf8))
            return ingest?.status == 503
        }, "ingest answered \(ingest?.status ?? 0) while draining")
        #expect(ingest?.message.contains("draining") == true)
        let ready = try client.send("GET", "/readyz")
        #expect(ready.status == 503 && ready.message.contains("draining"))
        #expect(try client.send("GET", "/metrics").status == 200)
        #expect(try fixture.fleetProcess?.wait() == .exited(0))
    }

    @Test func readyz_isReadyWithEveryWorkerUp_andNamesTheProblemWhenTheSegmentIsRemoved() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: Self.stripeQueue)
        try fixture.startFleet()
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { (try? fixture.api("GET", "/readyz"))?.status == 200 })
        unlink("/dev/shm/sluice.\(fixture.fleet.name)")
        let ready = try fixture.api("GET", "/readyz")
        #expect(ready.status == 503 && ready.message.contains("removed"), "\(ready.status) \(ready.message)")
        #expect(try fixture.api("GET", "/healthz").status == 200, "alive, not ready")
    }
}
