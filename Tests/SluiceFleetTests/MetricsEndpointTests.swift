import Foundation
import Glibc
import SluiceControl
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing

/// `/metrics` against a real fleet: the values match what it did, the page
/// is well-formed (promtool and our own checks), and a real Prometheus
/// server scrapes it.
@Suite(.serialized) struct MetricsEndpointTests {
    static let queues = """
        {"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "200/s", "burst": 5, "processes": 2},
         "sendgrid-api": {"provider": "sendgrid", "baseURL": "BASE", "rate": "10/s", "processes": 1}}
        """

    /// Starts a fleet, ingests 100 payments through the API and waits for them to finish.
    static func fleetThatDid100Payments() throws -> FleetFixture {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: queues)
        try fixture.startFleet()
        let payments = FleetEndToEndTests.payments(100, prefix: "metric")
        for batch in [payments[0..<50], payments[50...]] {
            let response = try fixture.api("POST", "/v1/queues/stripe-api/tasks", body: batch.joined(separator: "\n"),
                                           contentType: "application/x-ndjson")
            guard response.status == 202 else { throw FixtureError("ingest answered \(response.status): \(response.message)") }
        }
        guard fixture.waitUntilDrained(["stripe-api"], seconds: 30) else { throw FixtureError("the payments did not drain") }
        return fixture
    }

    @Test func metrics_sayWhatTheFleetDid_andThePageIsWellFormed() throws {
        let fixture = try Self.fleetThatDid100Payments()
        var page = Exposition("")
        // Completion is counted just after the spool settles: poll briefly.
        _ = ChildProcessRunner.waitUntil(seconds: 5) {
            page = Exposition((try? fixture.api("GET", "/metrics")).map { String(decoding: $0.body, as: UTF8.self) } ?? "")
            return page.value("sluice_tasks_completed_total", ["queue": "stripe-api", "outcome": "success"]) == 100
        }
        let stripe = ["queue": "stripe-api"]
        #expect(page.problems.isEmpty, "\(page.problems)")
        #expect(page.value("sluice_tasks_enqueued_total", stripe) == 100)
        #expect(page.value("sluice_tasks_completed_total", stripe.merging(["outcome": "success"]) { $1 }) == 100)
        #expect(page.value("sluice_tasks_completed_total", stripe.merging(["outcome": "dead"]) { $1 }) == 0)
        #expect(page.value("sluice_task_attempts_total", stripe.merging(["result": "success"]) { $1 }) == 100)
        #expect(page.value("sluice_http_requests_total", stripe.merging(["code": "200"]) { $1 }) == 100)
        #expect(page.value("sluice_requests_started_total", stripe) == 100)
        #expect(page.value("sluice_rate_limited_total", stripe) == 0)
        #expect(page.value("sluice_schedule_to_start_seconds_count", stripe) == 100)
        #expect(page.value("sluice_request_duration_seconds_count", stripe) == 100)
        #expect(page.value("sluice_rate_limit_rps", stripe) == 200)
        #expect(page.value("sluice_workers", stripe.merging(["state": "running"]) { $1 }) == 2)
        #expect(page.value("sluice_queue_backlog", stripe.merging(["state": "ready_due"]) { $1 }) == 0)
        #expect(page.value("sluice_tasks_enqueued_total", ["queue": "sendgrid-api"]) == 0)

        // promtool: exit 0 and nothing printed (it exits 3 on lint findings).
        let pagePath = fixture.files.file("metrics.txt")
        try (try fixture.api("GET", "/metrics")).body.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: pagePath))
        let check = try SpawnedChild("/bin/sh", ["-c", "\(try requiredTool("promtool")) check metrics < \(pagePath)"],
                                     in: fixture.files, label: "promtool")
        #expect(try check.wait() == .exited(0), "\(check.output) \(check.errors)")
        #expect(check.output.isEmpty && check.errors.isEmpty, "promtool: \(check.output) \(check.errors)")
    }

    @Test func prometheus_scrapesTheFleet_andItsQueryAPIReturnsTheCount() throws {
        let prometheus = try requiredTool("prometheus")
        let fixture = try Self.fleetThatDid100Payments()
        let target = try fixture.controlAddress()
        let port = try freeLoopbackPort()
        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: sluice
                static_configs: [{targets: ["\(target)"]}]
            """.write(toFile: fixture.files.file("prometheus.yml"), atomically: true, encoding: .utf8)
        let server = try SpawnedChild(prometheus, [
            "--config.file=\(fixture.files.file("prometheus.yml"))", "--storage.tsdb.path=\(fixture.files.file("tsdb"))",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ], in: fixture.files, label: "prometheus")
        defer { server.kill() }
        var value: String?
        let query = "/api/v1/query?query=sluice_tasks_completed_total%7Bqueue%3D%22stripe-api%22%2Coutcome%3D%22success%22%7D"
        // The first sample shows only after a few scrapes: poll, bounded.
        _ = ChildProcessRunner.waitUntil(seconds: 45) {
            guard let response = try? ControlClient(address: .init(host: "127.0.0.1", port: port), token: nil).send("GET", query),
                  response.status == 200, case .object(let data)? = response.json?["data"],
                  case .array(let results)? = data["result"], case .object(let first)? = results.first,
                  case .array(let pair)? = first["value"], pair.count == 2, case .string(let text) = pair[1] else { return false }
            value = text
            return true
        }
        #expect(value == "100", "Prometheus read \(value ?? "nothing"); its log: \(server.errors.suffix(2000))")
    }
}

/// A port the OS picked as free (bound to port 0, then released), for a
/// server that cannot report the port it bound itself.
func freeLoopbackPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw FixtureError("cannot bind a loopback port") }
    return UInt16(bigEndian: address.sin_port)
}
