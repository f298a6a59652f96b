import Foundation
import Glibc
import SluiceControl
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceSpool
import SluiceTestSupport
import Testing

/// The door on a real fleet: ingest and `sluice enqueue` (with `--config`,
/// and with the rules the fleet gives) refuse the same tasks with the same
/// words (`AdmissionExamples`), a refused batch queues nothing, an unknown
/// type is 415, `--dry-run` shows the request and queues nothing, and a task
/// already in the spool is handled as it always was.
@Suite(.serialized) struct TaskAdmissionFleetTests {
    /// A fleet with every example queue, paused, so what is accepted stays in the spool.
    static func pausedFleet() throws -> FleetFixture {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: AdmissionExamples.queuesJSON(base: "BASE"))
        try fixture.startFleet()
        for (queue, _) in AdmissionExamples.queues {
            let paused = try fixture.api("POST", "/v1/queues/\(queue)/pause")
            guard paused.status == 200 else { throw FixtureError("pause \(queue) answered \(paused.status)") }
        }
        return fixture
    }

    static func queued(_ fixture: FleetFixture, _ queue: String) throws -> Int {
        let counts = try fixture.counts(queue)
        return counts.readyDue + counts.readyWaiting + counts.journaled + counts.leased
    }

    @Test func ingestAndTheCLI_refuseTheSameTasks_withTheSameMessages() throws {
        let fixture = try Self.pausedFleet()
        for (queue, _) in AdmissionExamples.queues {
            let examples = AdmissionExamples.all.filter { $0.queue == queue }
            // Ingest, one task per request: 400 with the refusal, or 202.
            for example in examples {
                let answer = try fixture.api("POST", "/v1/queues/\(queue)/tasks", body: example.task)
                if let refusal = example.refusal {
                    #expect(answer.status == 400 && answer.message == "\(refusal); nothing was queued", "\(example): \(answer.message)")
                } else {
                    #expect(answer.status == 202, "\(example): \(answer.message)")
                }
            }
            // The CLI, every example as one NDJSON file: with --config, then with the fleet's rules.
            let file = fixture.files.file("examples-\(queue).ndjson")
            try (examples.map(\.task).joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let (status, output, errors) = try fixture.cli(["enqueue", queue, "-f", file])
            let fromFleet = try SpawnedChild(fixture.sluice, ["enqueue", queue, "--spool", fixture.spoolRoot, "-f", file],
                                             in: fixture.files, label: "enqueue-fleet-rules-\(queue)")
            #expect(try fromFleet.wait() == .exited(1))
            #expect(status == .exited(1))
            for (run, (out, err)) in [("--config", (output, errors)), ("fleet rules", (fromFleet.output, fromFleet.errors))] {
                #expect(!err.contains("note:"), "\(run): the rules were known: \(err)")
                for (index, example) in examples.enumerated() {
                    if let refusal = example.refusal {
                        #expect(err.contains("line \(index + 1): \(refusal); line not enqueued\n"), "\(run) \(example): \(err)")
                    }
                }
                #expect(out.split(separator: "\n").count == examples.count { $0.refusal == nil }, "\(run): one id per valid line")
            }
            // Nothing refused was queued: each valid task three times, or once if it names its id.
            let expected = examples.filter { $0.refusal == nil }.reduce(0) { $0 + ($1.task.hasPrefix(#"{"id""#) ? 1 : 3) }
            #expect(try Self.queued(fixture, queue) == expected, "\(queue)")
        }
        // One task: exactly ingest's message.
        let refused = try #require(AdmissionExamples.all.first { $0.queue == "stripe-api" && $0.scope == .doorOnly })
        let (status, _, errors) = try fixture.cli(["enqueue", "stripe-api", "--json", refused.task])
        #expect(status == .exited(1) && errors == "sluice enqueue: \(refused.refusal ?? ""); nothing was queued\n", "\(errors)")
    }

    @Test func aRefusedBatch_queuesNothing_anUnknownTypeIs415_andDryRunSendsNothing() throws {
        let fixture = try Self.pausedFleet()
        let good = #"{"kind":"create_payment","payload":{"amount":2000,"currency":"usd"}}"#
        let bad = #"{"kind":"create_payment","payload":{"amount":"20.00","currency":"usd"}}"#
        let batch = [good, good, bad, good].joined(separator: "\n")
        let refused = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: batch, contentType: "application/x-ndjson")
        #expect(refused.status == 400 && refused.message.hasPrefix("line 3: payload.amount: must be a whole number"), "\(refused.message)")
        #expect(refused.message.hasSuffix("; nothing was queued"))
        #expect(try Self.queued(fixture, "stripe-api") == 0, "a refused batch queued nothing")

        let plain = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: good, contentType: "text/plain")
        #expect(plain.status == 415, "\(plain.status) \(plain.message)")
        #expect(plain.message.contains("send Content-Type: application/json") && plain.message.contains("-H 'Content-Type: application/json'"))
        let form = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: "a=1", contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 415)
        #expect(try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: good, contentType: "application/json; charset=utf-8").status == 202)

        let rules = try fixture.api("GET", "/v1/queues/twilio-api/admission")
        #expect(rules.status == 200 && rules.message.contains(#""perKeyField":"From""#) && rules.message.contains(#""accountSid":"AC123""#),
                "\(rules.message)")
        #expect(try fixture.api("GET", "/v1/queues/nope/admission").status == 404)

        let before = try Self.queued(fixture, "stripe-api")
        let task = #"{"id":"order-42","kind":"create_payment","payload":{"amount":2000,"currency":"usd","metadata":{"order":"42"}}}"#
        let (status, output, errors) = try fixture.cli(["enqueue", "stripe-api", "--dry-run", "--json", task], environment: FleetFixture.credentials)
        #expect(status == .exited(0), "\(errors)")
        #expect(output == """
            POST \(fixture.baseURL)/v1/payment_intents
            Authorization: [redacted] (from STRIPE_API_KEY)
            Content-Type: application/x-www-form-urlencoded
            Idempotency-Key: order-42

            amount=2000&currency=usd&metadata%5Border%5D=42

            """, "\(output)")
        #expect(!output.contains(FleetFixture.credentials["STRIPE_API_KEY"] ?? "?"))
        let (badStatus, badOutput, badErrors) = try fixture.cli(["enqueue", "stripe-api", "--dry-run", "--json", bad])
        #expect(badStatus == .exited(1) && badOutput.isEmpty && badErrors.contains("payload.amount: must be a whole number"))
        #expect(try Self.queued(fixture, "stripe-api") == before, "a dry run queues nothing")
    }

    /// What the door lets in, the provider takes: every valid example of the
    /// four providers, sent by a running fleet to the sandbox (which answers
    /// as the real APIs do), is answered 2xx; none is dead-lettered for a
    /// reason the door could have seen (a mail without content, an amount
    /// over Stripe's eight digits, an unknown role, a 1,601-character SMS).
    @Test func everyTaskTheDoorAdmits_theProviderAccepts() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        let providers = AdmissionExamples.queues.filter { !$0.json.contains(#""provider": "http""#) }
        try fixture.configure(queues: "{" + providers.map { "\"\($0.name)\": \($0.json)" }.joined(separator: ", ") + "}")
        try fixture.startFleet()
        var sent = 0
        for (queue, _) in providers {
            for example in AdmissionExamples.all where example.queue == queue && example.scope == .valid {
                let answer = try fixture.api("POST", "/v1/queues/\(queue)/tasks", body: example.task)
                #expect(answer.status == 202, "\(example): \(answer.message)")
                sent += 1
            }
        }
        #expect(sent >= 12)
        #expect(fixture.waitUntilDrained(providers.map(\.name), seconds: 60))
        #expect(try fixture.stopFleet().0 == .exited(0))
        let dead = fixture.fleetLog.compactMap(LoggedEvent.init).filter { $0.name == "task.dead" }
        #expect(dead.isEmpty, "\(dead.map { "\($0.fields["queue"] ?? "?") \($0.fields["task"] ?? "?"): \($0.fields["reason"] ?? "")" })")
        for (queue, _) in providers {
            let counts = try fixture.counts(queue)
            #expect(counts.dead == 0, "\(queue): \(counts.dead) dead")
        }
    }

    /// A batch the spool cannot take in one piece is the client's to split
    /// (413), never a 500: with `maxRequestBodyBytes` raised to 16 MiB, 12 MB
    /// of NDJSON whose strings hold DEL (one byte sent, six in the spool's
    /// JSON: `\u007f`) makes spool records over the spool's 64 MiB batch,
    /// while the bodies built for the provider (the raw string) stay small.
    @Test func aBatchTheSpoolCannotTakeInOnePiece_is413_not500() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: #"{"hooks": {"provider": "http", "baseURL": "BASE/__sandbox", "rate": "10/s"}}"#,
                              extra: #""maxRequestBodyBytes": 16777216,"#)
        try fixture.startFleet()
        #expect(try fixture.api("POST", "/v1/queues/hooks/pause").status == 200)
        let line = #"{"kind":"http","payload":{"path":"/echo","body":"\#(String(repeating: "\u{7F}", count: 1_040_000))"}}"#
        let batch = Array(repeating: line, count: 12).joined(separator: "\n")
        #expect(batch.utf8.count > 12_000_000 && batch.utf8.count < 16 << 20)
        let answer = try fixture.api("POST", "/v1/queues/hooks/tasks", body: batch, contentType: "application/x-ndjson")
        #expect(answer.status == 413, "\(answer.status) \(answer.message)")
        #expect(answer.message.contains("nothing from this request was queued") && answer.message.contains("smaller batches"), "\(answer.message)")
        #expect(try Self.queued(fixture, "hooks") == 0)
        // A smaller batch of the same lines goes in.
        let smaller = Array(repeating: line, count: 2).joined(separator: "\n")
        #expect(try fixture.api("POST", "/v1/queues/hooks/tasks", body: smaller, contentType: "application/x-ndjson").status == 202)
        #expect(try Self.queued(fixture, "hooks") == 2)
    }

    /// Tasks written before the door existed are not judged by its newer rules:
    /// a door-only mistake is sent (and the API answers it), an unsendable one
    /// is dead before anything is sent, as before.
    @Test func aTaskAlreadyQueued_isHandledAsBefore() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: AdmissionExamples.queuesJSON(base: "BASE"))
        try fixture.enqueueUnchecked("stripe-api", [#"{"id":"decimal","kind":"create_payment","payload":{"amount":"20.00","currency":"usd"}}"#])
        try fixture.enqueueUnchecked("hooks", [#"{"id":"escape","kind":"http","payload":{"path":"//evil.example/steal"}}"#])
        // A small task whose form would be gigabytes: refused while it is written, the worker unharmed.
        let key = String(repeating: "k", count: 100_000)
        let bomb = #"{"id":"bomb","kind":"create_payment","payload":{"amount":1,"currency":"usd","m":{"\#(key)":[\#(Array(repeating: "1", count: 200_000).joined(separator: ","))]}}}"#
        try fixture.enqueueUnchecked("stripe-api", [bomb])
        try fixture.startFleet()
        #expect(ChildProcessRunner.waitUntil(seconds: 20) {
            ((try? fixture.counts("stripe-api").dead) ?? 0) == 2 && ((try? fixture.counts("hooks").dead) ?? 0) == 1
        })
        #expect(try fixture.stopFleet().0 == .exited(0))
        #expect(number(try fixture.stats(), "endpoints", "stripe.payment_intents", "requests") == 1, "sent, as before the door")
        let dead = fixture.fleetLog.compactMap(LoggedEvent.init).filter { $0.name == "task.dead" }
        #expect(dead.contains { $0.fields["task"] == "decimal" && $0.fields["reason"]?.hasPrefix("HTTP 400") == true })
        #expect(dead.contains { $0.fields["task"] == "escape" && $0.fields["reason"]?.contains("the host is the queue's") == true })
        #expect(dead.contains { $0.fields["task"] == "bomb" && $0.fields["reason"]?.hasPrefix("payload: encodes to a form body over 4194304 bytes") == true })
        #expect(fixture.fleetLog.compactMap(LoggedEvent.init).allSatisfy { $0.name != "worker.exited" || $0.fields["status"] == "exited with code 0" },
                "no worker died")
    }

    /// A fleet that accepts the connection and never answers holds
    /// `sluice enqueue` 2 s at most; the task is then written unchecked, with a note.
    @Test func aFleetThatNeverAnswers_holdsTheCLI2sAtMost() throws {
        let files = try ScratchDirectory(label: "door-silent")
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        #expect(bound)
        let port = UInt16(bigEndian: address.sin_port)
        let started = MonotonicClock.now()
        let child = try SpawnedChild(ChildProcessRunner.product("sluice"),
                                     ["enqueue", "stripe-api", "--spool", files.file("spool"), "--server", "127.0.0.1:\(port)",
                                      "--json", #"{"kind":"create_payment","payload":{"amount":"20.00"}}"#],
                                     in: files, label: "enqueue-silent")
        #expect(try child.wait() == .exited(0), "\(child.errors)")
        let seconds = Double(MonotonicClock.now() - started) / 1e9
        #expect(seconds < 3.5, "took \(seconds) s")
        #expect(child.errors.contains("note: the fleet did not give queue \"stripe-api\"'s rules within 2 s"), "\(child.errors)")
        #expect(child.output.split(separator: "\n").count == 1, "written unchecked")
    }
}
