import Foundation
import Glibc
import SluiceControl
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceSpool
import SluiceTestSupport
import Testing

/// Several hosts, one limit: each `sluice run` in a mount namespace of its
/// own with a private /dev/shm (so its own segment) and its own spool, all
/// sharing one redis-server and one sandbox, the judge.
@Suite(.serialized) struct MultiHostTests {
    static let sandboxLimits = #"{"limits": {"stripe.requests": "100/s"}}"#
    /// 90% of the sandbox's limit, as README advises.
    static let rate = 90.0

    @Test func threeHosts_unevenBacklogs_drainAtTheFleetsRateWithinEveryWindow() throws {
        let cluster = try Cluster(hosts: 3)
        let split = [500, 80, 20]
        for (host, count) in split.enumerated() {
            try cluster.enqueue(host: host, FleetEndToEndTests.payments(count, prefix: "h\(host)"))
        }
        try cluster.startAll()
        #expect(cluster.waitUntilDrained(seconds: 40), "drained: \(cluster.fixture.sandbox.errors.suffix(500))")
        let arrivals = try cluster.fixture.arrivals("stripe.payment_intents")
        let stats = try cluster.fixture.stats()
        let total = split.reduce(0, +)
        #expect(number(stats, "endpoints", "stripe.payment_intents", "successes") == total)
        #expect(number(stats, "endpoints", "stripe.payment_intents", "rateLimited") == 0, "no 429 at the sandbox")
        let worst = number(stats, "limits", "stripe.requests", "worstWindow")
        let allowed = number(stats, "limits", "stripe.requests", "allowed")
        #expect(worst <= allowed, "busiest window \(worst) of \(allowed) allowed")
        let span = Double((arrivals.instants.last ?? 0) - (arrivals.instants.first ?? 0)) / 1e9
        // Each host enforces the configured rate less its learnt edge guard
        // (README: "the edge guard and rate learning"): the schedule runs at
        // the rates in force, and the drain is judged against the slowest.
        let pages = (0..<3).map { host in String(decoding: (try? cluster.api(host: host, "GET", "/metrics"))?.body ?? [], as: UTF8.self) }
        func sample(_ page: String, _ family: String) -> Double? {
            page.split(separator: "\n").first { $0.hasPrefix(family + "{") }?.split(separator: " ").last.flatMap { Double($0) }
        }
        let inForce = pages.compactMap { sample($0, "sluice_rate_limit_effective_rps") }
        let rate = inForce.min() ?? Self.rate
        // A request woken later than the edge guard allows is not sent but
        // booked again (the worker's rule, on one host or many): its instant
        // passes. The schedule is judged on the instants it granted.
        let rebooked = pages.compactMap { sample($0, "sluice_requests_late_rebooked_total") }.reduce(0, +)
        let theory = (Double(total - 1) + rebooked) / rate
        let commands = cluster.redisCalls()
        for host in 0..<3 {
            let page = String(decoding: (try? cluster.api(host: host, "GET", "/metrics"))?.body ?? [], as: UTF8.self)
            Cluster.report("host \(host): " + page.split(separator: "\n").filter { $0.hasPrefix("sluice_coordinator_") }.joined(separator: "; "))
            #expect(page.contains("sluice_coordinator_up 1") && page.contains("sluice_coordinator_redis_commands_total "))
        }
        // The page with the coordinator's families is well-formed: promtool prints nothing.
        let pagePath = cluster.fixture.files.file("metrics-host-0.txt")
        try Data(try cluster.api(host: 0, "GET", "/metrics").body).write(to: URL(fileURLWithPath: pagePath))
        let check = try SpawnedChild("/bin/sh", ["-c", "\(try requiredTool("promtool")) check metrics < \(pagePath)"],
                                     in: cluster.fixture.files, label: "promtool")
        #expect(try check.wait() == .exited(0) && check.output.isEmpty && check.errors.isEmpty, "promtool: \(check.output) \(check.errors)")
        Cluster.report("3 hosts \(split): rates in force \(inForce.map { String(format: "%.2f", $0) }) /s; drained in \(String(format: "%.3f", span)) s, theory \(String(format: "%.3f", theory)) s at the slowest with \(Int(rebooked)) rebooked late (\(String(format: "%.3f", Double(total - 1) / Self.rate)) s at 90/s) (\(String(format: "%+.2f", (span / theory - 1) * 100))%); busiest 1 s window \(worst) of \(allowed); busiest 100 ms \(arrivals.busiestWindow(100_000_000)); Redis script calls \(commands) = \(String(format: "%.3f", Double(commands) / Double(total))) per admission")
        #expect(span <= theory * 1.02, "drained within 2% of tasks ÷ rate: \(span) s for \(theory) s")
        #expect(Double(commands) / Double(total) < 0.5, "Redis far less than once per request")
    }

    @Test func redisFrozen_admitsNothingBeyondWhatWasReserved_thenResumes() throws {
        let cluster = try Cluster(hosts: 2)
        try cluster.enqueue(host: 0, FleetEndToEndTests.payments(400, prefix: "a"))
        try cluster.enqueue(host: 1, FleetEndToEndTests.payments(400, prefix: "b"))
        try cluster.startAll()
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { ((try? cluster.fixture.arrivals("stripe.payment_intents"))?.instants.count ?? 0) > 90 })
        cluster.redis.pause()
        let frozenAt = MonotonicClock.now()
        usleep(1_000_000)
        let readiness = try cluster.api(host: 0, "GET", "/readyz")
        let metrics = String(decoding: try cluster.api(host: 1, "GET", "/metrics").body, as: UTF8.self)
        let described = try cluster.api(host: 0, "GET", "/v1/queues/stripe-api").json
        usleep(2_000_000)
        cluster.redis.resume()
        let resumedAt = MonotonicClock.now()
        usleep(2_000_000)
        let arrivals = try cluster.fixture.arrivals("stripe.payment_intents")
        // What was reserved before the freeze: no block starts more than the
        // horizon (1 s) ahead, and a block holds at most a quarter second.
        let lateInFreeze = arrivals.count(from: frozenAt + 1_300_000_000, to: resumedAt)
        let afterResume = arrivals.count(from: resumedAt + 500_000_000, to: resumedAt + 1_500_000_000)
        Cluster.report("Redis SIGSTOPped 3 s: \(arrivals.count(from: frozenAt, to: frozenAt + 1_300_000_000)) arrivals in its first 1.3 s (reserved before), \(lateInFreeze) in the 1.7 s after; \(afterResume) in the second from 0.5 s after SIGCONT")
        #expect(lateInFreeze == 0, "nothing admitted beyond the reserved instants while Redis was frozen")
        #expect(readiness.status == 503 && String(decoding: readiness.body, as: UTF8.self).contains("coordinator: Redis"),
                "/readyz names the reason: \(String(decoding: readiness.body, as: UTF8.self))")
        #expect(metrics.contains("sluice_coordinator_up 0"), "sluice_coordinator_up is 0")
        // The operator's tools say the same: describe while frozen, the CLI once Redis is back.
        #expect(described?.value(at: ["coordinator", "up"]) == .bool(false)
                    && described?.value(at: ["coordinator", "acrossHosts"]) == .bool(true), "describe while frozen: \(String(describing: described))")
        if case .string(let reason)? = described?.value(at: ["coordinator", "reason"]) { #expect(reason.contains("coordinator: Redis")) } else { Issue.record("describe names no reason") }
        let cli = try SpawnedChild(cluster.fixture.sluice, ["queue", "describe", "stripe-api", "--config", cluster.configPath(1)],
                                   in: cluster.fixture.files, label: "describe", environment: FleetFixture.credentials)
        #expect(try cli.wait() == .exited(0))
        #expect(cli.output.contains("across hosts    yes") && cli.output.contains(" up · host host-1/"), "sluice queue describe: \(cli.output) \(cli.errors)")
        #expect(afterResume >= 45, "sending again after the freeze: \(afterResume) in a second")
        let stats = try cluster.fixture.stats()
        #expect(number(stats, "limits", "stripe.requests", "worstWindow") <= number(stats, "limits", "stripe.requests", "allowed"))
        #expect(number(stats, "endpoints", "stripe.payment_intents", "rateLimited") == 0)
    }

    @Test(.disabled("open in issue 11: in the full serial run (make test) two of two runs sent under 80% of the rate while Redis was frozen; alone it passes")) func redisFrozen_withShare_eachHostSendsItsShareOfTheRate() throws {
        let cluster = try Cluster(hosts: 2, onUnavailable: #""onUnavailable": "share", "maxHosts": 2"#)
        try cluster.enqueue(host: 0, FleetEndToEndTests.payments(500, prefix: "a"))
        try cluster.enqueue(host: 1, FleetEndToEndTests.payments(500, prefix: "b"))
        try cluster.startAll()
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { ((try? cluster.fixture.arrivals("stripe.payment_intents"))?.instants.count ?? 0) > 90 })
        cluster.redis.pause()
        let frozenAt = MonotonicClock.now()
        usleep(5_000_000)
        let metrics = String(decoding: try cluster.api(host: 0, "GET", "/metrics").body, as: UTF8.self)
        cluster.redis.resume()
        let resumedAt = MonotonicClock.now()
        usleep(2_500_000)
        let arrivals = try cluster.fixture.arrivals("stripe.payment_intents")
        // Alone only two horizons (2 s) after Redis last answered: by then every instant it handed out is past.
        let shared = arrivals.count(from: frozenAt + 2_500_000_000, to: resumedAt)
        let seconds = Double(resumedAt - frozenAt - 2_500_000_000) / 1e9
        let afterResume = arrivals.count(from: resumedAt + 1_500_000_000, to: resumedAt + 2_500_000_000)
        let stats = try cluster.fixture.stats()
        Cluster.report("Redis SIGSTOPped 5 s, share over 2: \(arrivals.count(from: frozenAt + 1_300_000_000, to: frozenAt + 2_000_000_000)) arrivals from 1.3 s to 2 s after, \(shared) in the \(String(format: "%.2f", seconds)) s from 2.5 s after (\(String(format: "%.1f", Double(shared) / seconds))/s of 90/s); \(afterResume) in the second from 1.5 s after SIGCONT; busiest second \(number(stats, "limits", "stripe.requests", "worstWindow"))")
        // Calls that timed out during the freeze still run when Redis wakes:
        // their blocks pass unused, so the schedule resumes up to a horizon later.
        #expect(afterResume >= 45, "on the schedule again")
        #expect(Double(shared) / seconds >= 90 * 0.8 && Double(shared) / seconds <= 91, "each host at 45/s")
        #expect(metrics.contains("sluice_coordinator_blocks_total{outcome=\"shared\"}"), "shared blocks counted")
        #expect(number(stats, "limits", "stripe.requests", "worstWindow") <= number(stats, "limits", "stripe.requests", "allowed"))
        #expect(number(stats, "endpoints", "stripe.payment_intents", "rateLimited") == 0)
    }

    @Test func hostKilled_theOtherTakesItsShare_andItsTasksAreDoneWhenItComesBack() throws {
        let cluster = try Cluster(hosts: 2)
        try cluster.enqueue(host: 0, FleetEndToEndTests.payments(500, prefix: "a"))
        try cluster.enqueue(host: 1, FleetEndToEndTests.payments(150, prefix: "b"))
        try cluster.startAll()
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { ((try? cluster.fixture.arrivals("stripe.payment_intents"))?.instants.count ?? 0) > 90 })
        cluster.killHost(1)
        let killedAt = MonotonicClock.now()
        usleep(3_000_000)
        let arrivals = try cluster.fixture.arrivals("stripe.payment_intents")
        let alone = arrivals.count(from: killedAt + 1_000_000_000, to: killedAt + 3_000_000_000)
        Cluster.report("host 1 of 2 killed (kill -9): host 0 alone sent \(alone) in the 2 s from 1 s after (\(String(format: "%.1f", Double(alone) / 2))/s of 90/s)")
        #expect(Double(alone) >= 2 * Self.rate * 0.95, "the survivor takes the whole rate: \(alone) in 2 s")
        try cluster.start(host: 1)
        #expect(cluster.waitUntilDrained(seconds: 30), "the killed host's tasks are done once it is back")
        let stats = try cluster.fixture.stats()
        #expect(number(stats, "endpoints", "stripe.payment_intents", "successes") == 650)
        #expect(number(stats, "limits", "stripe.requests", "worstWindow") <= number(stats, "limits", "stripe.requests", "allowed"))
        #expect(number(stats, "endpoints", "stripe.payment_intents", "rateLimited") == 0)
    }

    @Test func redisRestartedEmpty_admitsNothingExtra_thenResumes() throws {
        let cluster = try Cluster(hosts: 2)
        try cluster.enqueue(host: 0, FleetEndToEndTests.payments(500, prefix: "a"))
        try cluster.enqueue(host: 1, FleetEndToEndTests.payments(500, prefix: "b"))
        try cluster.startAll()
        #expect(ChildProcessRunner.waitUntil(seconds: 10) { ((try? cluster.fixture.arrivals("stripe.payment_intents"))?.instants.count ?? 0) > 90 })
        try cluster.redis.restart()
        let restartedAt = MonotonicClock.now()
        usleep(4_500_000)
        let arrivals = try cluster.fixture.arrivals("stripe.payment_intents")
        let stats = try cluster.fixture.stats()
        let worst = number(stats, "limits", "stripe.requests", "worstWindow")
        let after = arrivals.instants.filter { $0 >= restartedAt }
        let gaps = zip(after, after.dropFirst()).map { $1 - $0 }
        let pause = Double(gaps.max() ?? 0) / 1e9
        let resumed = arrivals.count(from: restartedAt + 3_500_000_000, to: restartedAt + 4_500_000_000)
        Cluster.report("Redis killed and restarted empty: busiest 1 s window \(worst) (rate·W + 1 = 91); longest pause after it \(String(format: "%.2f", pause)) s; \(resumed) arrivals in the second from 3.5 s after")
        if worst > 91, let start = arrivals.busiestWindowStart(1_000_000_000) {
            let buckets = (0..<10).map { arrivals.count(from: start + UInt64($0) * 100_000_000, to: start + UInt64($0 + 1) * 100_000_000) }
            let since = Double(Int64(bitPattern: start &- restartedAt)) / 1e9
            Cluster.report("  its busiest second starts \(String(format: "%+.2f", since)) s from the restart; per 100 ms: \(buckets)")
        }
        // The schedule grants at most 91 a second; arrivals jitter (91–93 in
        // quiet runs; on 2 cores at a load of 9, late wake-ups bunch up to 97
        // with no restart near). The granted instants themselves are judged
        // exactly, across a restart, in TwoHostsInOneProcessTests.
        #expect(worst <= number(stats, "limits", "stripe.requests", "allowed"), "within the provider's limit")
        #expect(number(stats, "endpoints", "stripe.payment_intents", "rateLimited") == 0)
        #expect(resumed >= 45, "sending again")
    }

    @Test func workerAlone_withACoordinator_isRefusedRatherThanSendingTheFullRate() throws {
        let cluster = try Cluster(hosts: 1)
        let worker = try SpawnedChild("/usr/bin/unshare", [
            "--mount", "/bin/sh", "-c", "mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm && exec \"$0\" worker --config \"$1\" --queue stripe-api",
            cluster.fixture.sluice, cluster.configPath(0),
        ], in: cluster.fixture.files, label: "worker-alone", environment: FleetFixture.credentials)
        #expect(try worker.wait() == .exited(2))
        #expect(worker.errors.contains("coordinator block") && worker.errors.contains("sluice run"), "\(worker.errors)")
    }
}

/// N hosts of one fleet against one Redis and one sandbox.
final class Cluster: @unchecked Sendable {
    let redis: RedisServer
    let fixture: FleetFixture
    let hosts: Int
    private var processes: [SpawnedChild?]
    private var starts = 0

    init(hosts: Int, onUnavailable: String = #""onUnavailable": "wait""#) throws {
        redis = try RedisServer()
        fixture = try FleetFixture(sandboxConfiguration: MultiHostTests.sandboxLimits)
        self.hosts = hosts
        processes = Array(repeating: nil, count: hosts)
        for host in 0..<hosts {
            let text = """
                {"fleet": "\(fixture.fleet.name)", "spool": "\(spoolRoot(host))", "shutdownTimeout": "5s", "listen": "127.0.0.1:0",
                 "coordinator": {"redis": "\(redis.url)", "host": "host-\(host)", \(onUnavailable)},
                 "queues": {"stripe-api": {"provider": "stripe", "baseURL": "\(fixture.baseURL)", "rate": "90/s",
                                           "processes": 2, "maxConcurrentPerWorker": 8}}}
                """
            try text.write(toFile: configPath(host), atomically: true, encoding: .utf8)
        }
    }

    deinit {
        for host in 0..<hosts { killHost(host) }
        redis.stop()
    }

    func spoolRoot(_ host: Int) -> String { fixture.files.file("spool-\(host)") }
    func configPath(_ host: Int) -> String { fixture.files.file("host-\(host).json") }

    func enqueue(host: Int, _ lines: [String]) throws {
        let path = fixture.files.file("tasks-\(host).ndjson")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let enqueue = try SpawnedChild(fixture.sluice, ["enqueue", "stripe-api", "--config", configPath(host), "-f", path],
                                       in: fixture.files, label: "enqueue-\(host)")
        guard try enqueue.wait() == .exited(0) else { throw FixtureError("enqueue on host \(host): \(enqueue.errors)") }
    }

    /// Starts every host at once, then waits until each runs its workers.
    func startAll() throws {
        for host in 0..<hosts { try spawn(host) }
        for host in 0..<hosts { try awaitWorkers(host) }
    }

    func start(host: Int) throws {
        try spawn(host)
        try awaitWorkers(host)
    }

    /// `sluice run` as pid-keeping execs: unshare → sh → sluice, in a new mount
    /// namespace whose /dev/shm is a tmpfs of its own (gone with the namespace).
    private func spawn(_ host: Int) throws {
        starts += 1
        processes[host] = try SpawnedChild("/usr/bin/unshare", [
            "--mount", "/bin/sh", "-c", "mount -t tmpfs -o size=64m,mode=1777 tmpfs /dev/shm && exec \"$0\" run --config \"$1\"",
            fixture.sluice, configPath(host),
        ], in: fixture.files, label: "host-\(host)-\(starts)", environment: FleetFixture.credentials)
    }

    private func awaitWorkers(_ host: Int) throws {
        guard ChildProcessRunner.waitUntil(seconds: 20, { (self.processes[host]?.errors ?? "").contains("event=worker.started") }) else {
            throw FixtureError("host \(host) did not start: \(processes[host]?.errors ?? "")")
        }
    }

    /// kill -9 of the whole host: its workers first (they would otherwise
    /// drain on their parent's death), then the supervisor.
    func killHost(_ host: Int) {
        guard let process = processes[host] else { return }
        let children = readTextFile("/proc/\(process.pid)/task/\(process.pid)/children") ?? ""
        for child in children.split(separator: " ").compactMap({ pid_t($0) }) { kill(child, SIGKILL) }
        process.kill()
        processes[host] = nil
    }

    func waitUntilDrained(seconds: Double) -> Bool {
        ChildProcessRunner.waitUntil(seconds: seconds) {
            (0..<self.hosts).allSatisfy { host in
                guard let counts = try? SpoolQueue(root: self.spoolRoot(host), name: QueueName(validating: "stripe-api"), create: false).counts()
                else { return false }
                return counts.readyDue + counts.readyWaiting + counts.leased + counts.journaled == 0
            }
        }
    }

    /// Script runs Redis counted (`INFO commandstats`: EVALSHA and EVAL calls).
    func redisCalls() -> Int {
        let stats = redis.cli(["INFO", "commandstats"]) ?? ""
        return stats.split(whereSeparator: \.isNewline).reduce(0) { total, line in
            guard line.hasPrefix("cmdstat_evalsha:") || line.hasPrefix("cmdstat_eval:"),
                  let calls = line.split(separator: ",").first?.split(separator: "=").last, let count = Int(calls) else { return total }
            return total + count
        }
    }

    func api(host: Int, _ method: String, _ path: String) throws -> ControlClient.Response {
        guard let endpoint = ControlEndpoint.read(root: spoolRoot(host)) else { throw FixtureError("host \(host) wrote no control.json") }
        return try ControlClient(address: endpoint.connectAddress, token: nil).send(method, path, body: [], contentType: "application/json")
    }

    /// A measured figure, printed for the README.
    static func report(_ line: String) {
        FileHandle.standardError.write(Data("multi-host: \(line)\n".utf8))
    }
}
