import Foundation
import Glibc
import SluiceControl
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing

/// The control plane against clients that attack it, on a running fleet:
/// bodies without the token, a spent body budget, web pages (CSRF, DNS
/// rebinding), the descriptor limit, and costs no limit could ever admit.
@Suite(.serialized) struct ControlPlaneHostileClientTests {
    static let token = "hostile-token-0123456789"
    static let openAIQueue = #"{"openai-api": {"provider": "openai", "baseURL": "BASE", "rate": "60/min", "weighted": [{"name": "tokens", "rate": "90000/min", "burst": 90000}]}}"#

    /// Peak resident memory of `pid`, in KiB.
    static func peakResidentKB(_ pid: pid_t) -> Int { HostileUpstreamTests.peakResidentKB(pid) }

    /// One raw request to the fleet; the answer's status (nil: none).
    static func rawStatus(_ port: UInt16, _ head: String, body: [UInt8] = []) throws -> (Int?, String) {
        let client = try TestHTTPConnection(port: port, timeout: 5)
        client.send(Array(head.utf8) + body)
        let answer = client.readResponse()
        return (answer?.status, answer?.text ?? "")
    }

    @Test func bodiesWithoutTheToken_areRefusedOnTheHead_andTheSupervisorStaysSmall() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: IngestAPITests.stripeQueue, extra: #""adminToken": "SLUICE_ADMIN_TOKEN","#)
        try fixture.startFleet(environment: FleetFixture.credentials.merging(["SLUICE_ADMIN_TOKEN": Self.token]) { _, new in new })
        let port = try fixture.controlAddress().port
        let supervisor = try #require(fixture.fleetProcess?.pid)
        let before = Self.peakResidentKB(supervisor)
        // 100 connections, each announcing just under 8 MiB and sending 2 MiB of it without a token.
        let chunk = [UInt8](repeating: 0x7B, count: 2 << 20)
        let clients = try (0..<100).map { _ in try TestHTTPConnection(port: port, timeout: 5) }
        for client in clients {
            client.send("POST /v1/queues/stripe-api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: 8388607\r\n\r\n")
        }
        var statuses: [Int?] = []
        for client in clients {
            client.send(chunk)
            statuses.append(client.readResponse()?.status)
        }
        let after = Self.peakResidentKB(supervisor)
        #expect(statuses.allSatisfy { $0 == 401 }, "\(statuses.compactMap { $0 }.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 })")
        #expect(after - before < 64 << 10, "the supervisor went from \(before / 1024) MB to \(after / 1024) MB")
        #expect(try fixture.api("GET", "/healthz").status == 200)
        #expect(try fixture.api("GET", "/v1/queues", token: Self.token).status == 200)
    }

    @Test func aSpentBodyBudget_isAnswered503_beforeTheBodyIsRead() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: IngestAPITests.stripeQueue, extra: #""maxRequestBodyBytes": 65536, "maxBufferedBodyBytes": 65536,"#)
        try fixture.startFleet()
        let port = try fixture.controlAddress().port
        let head = "POST /v1/queues/stripe-api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Length: 40000\r\n\r\n"
        // The first head is admitted and holds 40,000 bytes of the budget while its body is awaited.
        let holder = try TestHTTPConnection(port: port, timeout: 5)
        holder.send(head)
        usleep(200_000)
        let (status, text) = try Self.rawStatus(port, head)
        #expect(status == 503 && text.contains("retry shortly"), "\(text)")
        holder.close()
        usleep(200_000)
        let task = #"{"kind": "create_payment", "payload": {"amount": 1, "currency": "usd"}}"#
        #expect(try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: task).status == 202, "the budget is back once the holder is gone")
    }

    @Test func webPages_cannotUseV1_butProgramsAndProbesCan() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: IngestAPITests.stripeQueue, extra: #""allowedHosts": ["sluice.internal"],"#)
        try fixture.startFleet()
        let port = try fixture.controlAddress().port
        func request(_ method: String, _ path: String, _ headers: [(String, String)], body: String = "") throws -> (Int?, String) {
            var head = "\(method) \(path) HTTP/1.1\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            return try Self.rawStatus(port, head, body: Array(body.utf8))
        }
        // DNS rebinding: the page's own name, resolved to 127.0.0.1.
        let rebound = try request("GET", "/v1/queues", [("Host", "evil.example:\(port)")])
        #expect(rebound.0 == 403 && rebound.1.contains("allowedHosts"), "\(rebound)")
        #expect(try request("GET", "/v1/tasks/x", [("Host", "localhost.evil.example")]).0 == 403)
        #expect(try request("GET", "/v1/queues", [("Host", "sluice.internal:\(port)")]).0 == 200, "a configured name")
        #expect(try request("GET", "/v1/queues", [("Host", "localhost:\(port)")]).0 == 200)
        #expect(try request("GET", "/v1/queues", [("Host", "10.1.2.3:\(port)")]).0 == 200, "an address cannot be rebound")
        #expect(try request("GET", "/healthz", [("Host", "evil.example")]).0 == 200, "probes answer whatever the Host")
        #expect(try request("GET", "/metrics", [("Host", "evil.example")]).0 == 200)
        // CSRF: a form posting text/plain, a fetch from another origin, a simple POST with no body.
        let host = ("Host", "127.0.0.1:\(port)")
        let form = try request("POST", "/v1/queues/stripe-api/pause", [host, ("Content-Type", "text/plain")], body: "x")
        #expect(form.0 == 403 && form.1.contains("X-Sluice-Request"), "\(form)")
        #expect(try request("POST", "/v1/queues/stripe-api/pause", [host]).0 == 403)
        let foreign = try request("POST", "/v1/queues/stripe-api/pause", [host, ("Origin", "http://evil.example"), ("Content-Type", "application/json")], body: "{}")
        #expect(foreign.0 == 403 && foreign.1.contains("Origin"), "\(foreign)")
        #expect(try request("POST", "/v1/queues/stripe-api/pause", [host, ("Origin", "null"), ("X-Sluice-Request", "1")]).0 == 403)
        #expect(try request("POST", "/v1/queues/stripe-api/pause", [host, ("Sec-Fetch-Site", "cross-site"), ("X-Sluice-Request", "1")]).0 == 403)
        let ingest = try request("POST", "/v1/queues/stripe-api/tasks", [host, ("Content-Type", "text/plain")],
                                 body: #"{"kind": "create_payment", "payload": {"amount": 1, "currency": "usd"}}"#)
        #expect(ingest.0 == 403, "\(ingest)")
        let described = try fixture.api("GET", "/v1/queues/stripe-api")
        #expect(described.message.contains(#""paused":false"#), "no page paused the queue: \(described.message)")
        #expect(try fixture.counts("stripe-api").journaled + fixture.counts("stripe-api").readyDue == 0, "no page queued a task")
        // A program: a JSON body, or the header; the same origin is fine.
        #expect(try request("POST", "/v1/queues/stripe-api/pause", [host, ("Content-Type", "application/json")], body: "{}").0 == 200)
        #expect(try request("POST", "/v1/queues/stripe-api/resume", [host, ("X-Sluice-Request", "1")]).0 == 200)
        #expect(try request("POST", "/v1/queues/stripe-api/pause", [host, ("Origin", "http://127.0.0.1:\(port)"), ("X-Sluice-Request", "1")]).0 == 200)
    }

    @Test func aForeignOrigin_isRefused_evenWithTheToken() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: IngestAPITests.stripeQueue, extra: #""adminToken": "SLUICE_ADMIN_TOKEN","#)
        try fixture.startFleet(environment: FleetFixture.credentials.merging(["SLUICE_ADMIN_TOKEN": Self.token]) { _, new in new })
        let port = try fixture.controlAddress().port
        let (status, _) = try Self.rawStatus(port, "POST /v1/queues/stripe-api/pause HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\n"
                                             + "Authorization: Bearer \(Self.token)\r\nX-Sluice-Request: 1\r\nContent-Length: 0\r\n\r\n")
        #expect(status == 403)
    }

    @Test func atTheDescriptorLimit_idleAndSlowConnectionsLockOutNeitherProbesNorTheSpool() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: IngestAPITests.stripeQueue)
        try fixture.startFleet(descriptorLimit: 128)
        let port = try fixture.controlAddress().port
        let listening = try #require(fixture.fleetLog.compactMap(LoggedEvent.init).first { $0.name == "http.listening" })
        let cap = try #require(listening.fields["max_connections"].flatMap(Int.init))
        let probes = try #require(listening.fields["probe_connections"].flatMap(Int.init))
        #expect(listening.fields["descriptor_limit"] == "128" && cap + probes < 100, "\(listening.fields)")
        let task = #"{"kind": "create_payment", "payload": {"amount": 1, "currency": "usd"}}"#
        let ingest = "POST /v1/queues/stripe-api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(task.utf8.count)\r\n\r\n"
        let healthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

        // More idle connections than the descriptors allow: the oldest idle ones make room.
        var held = try (0..<(cap + probes + 40)).map { _ in try TestHTTPConnection(port: port, timeout: 5) }
        #expect(try Self.rawStatus(port, healthz).0 == 200, "/healthz answers past the cap")
        #expect(try Self.rawStatus(port, ingest, body: Array(task.utf8)).0 == 202, "ingest too: an idle connection made room")

        // Every place held by a request that never finishes (slowloris): probes still answer, the rest is 503.
        held = try (0..<(cap + probes + 10)).map { _ in
            let slow = try TestHTTPConnection(port: port, timeout: 5)
            slow.send("GET /healthz HTTP/1.1\r\nX-Slow: ")
            return slow
        }
        usleep(300_000)
        #expect(try Self.rawStatus(port, healthz).0 == 200, "/healthz answers with every place held mid-request")
        let over = try Self.rawStatus(port, ingest, body: Array(task.utf8))
        #expect(over.0 == 503 && over.1.contains("retry shortly"), "over the cap: 503, not a hang or a 500: \(over)")
        held.removeAll()
        #expect(ChildProcessRunner.waitUntil(seconds: 5) {
            (try? fixture.api("POST", "/v1/queues/stripe-api/tasks", body: task).status) == 202
        }, "ingest works again once the connections close")
        #expect(!fixture.fleetLog.joined().contains("Too many open files"), "the spool never ran out of descriptors")
    }

    @Test func aCostNoWeightedLimitCouldAdmit_isRefusedAtTheDoor() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: Self.openAIQueue)
        try fixture.startFleet()
        let huge = #"{"kind": "generate_text", "payload": {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 18446744073709551615}}"#
        let refused = try fixture.api("POST", "/v1/queues/openai-api/tasks", body: huge)
        #expect(refused.status == 400 && refused.message.hasPrefix("payload.max_tokens: the task's estimated cost"), "\(refused.message)")
        let costly = #"{"kind": "generate_text", "cost": 90001, "payload": {"model": "m", "messages": [{"role": "user", "content": "hi"}]}}"#
        let (status, _, errors) = try fixture.cli(["enqueue", "openai-api", "--json", costly])
        #expect(status == .exited(1) && errors.contains("cost: 90001 is above the burst of weighted limit \"tokens\""), "\(errors)")
        #expect(try fixture.counts("openai-api").readyDue + fixture.counts("openai-api").journaled == 0, "nothing was queued")
        #expect(fixture.fleetLog.allSatisfy { !$0.contains("event=worker.crash_loop") })
    }
}
