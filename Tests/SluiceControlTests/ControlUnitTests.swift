import Glibc
import Synchronization
import SluiceConfig
import SluiceHTTP
import SluiceJSON
import SluiceLimiter
import Testing
@testable import SluiceControl

@Suite struct PrometheusTextTests {
    @Test func labelValues_areEscaped_andIntegersHaveNoFraction() {
        var page = PrometheusText()
        page.family("x_total", .counter, "help")
        page.sample("x_total", .init([("queue", "a\"b\\c\nd")]), UInt64(42))
        page.sample("x_total", .init([("queue", "e")]), 0.25)
        #expect(page.text == "# HELP x_total help\n# TYPE x_total counter\nx_total{queue=\"a\\\"b\\\\c\\nd\"} 42\nx_total{queue=\"e\"} 0.25\n")
        #expect(PrometheusText.format(.infinity) == "+Inf")
    }

    @Test func histogram_isCumulative_endsWithInfEqualToCount_andSumsInSeconds() {
        var histogram = LatencyHistogram()
        histogram.counts[0] = 2          // ≤ 1 ms
        histogram.counts[3] = 1          // ≤ 25 ms
        histogram.counts[LatencyHistogram.bounds.count] = 1 // +Inf
        histogram.sumNanoseconds = 1_500_000_000
        var page = PrometheusText()
        page.family("h_seconds", .histogram, "help")
        page.histogram("h_seconds", .init([("queue", "q")]), histogram)
        let lines = page.text.split(separator: "\n")
        #expect(lines.contains("h_seconds_bucket{queue=\"q\",le=\"0.001\"} 2"))
        #expect(lines.contains("h_seconds_bucket{queue=\"q\",le=\"0.025\"} 3"))
        #expect(lines.contains("h_seconds_bucket{queue=\"q\",le=\"60\"} 3"))
        #expect(lines.contains("h_seconds_bucket{queue=\"q\",le=\"+Inf\"} 4"))
        #expect(lines.contains("h_seconds_sum{queue=\"q\"} 1.5"))
        #expect(lines.contains("h_seconds_count{queue=\"q\"} 4"))
    }
}

@Suite struct LatencyHistogramTests {
    @Test func quantile_interpolatesWithinTheBucket_likeHistogramQuantile() {
        var histogram = LatencyHistogram()
        histogram.counts[5] = 100 // (50 ms, 100 ms]
        #expect(histogram.quantile(0.5) == 75_000_000)
        #expect(histogram.quantile(0.99) == 99_500_000)
        #expect(LatencyHistogram().quantile(0.5) == nil)
    }

    @Test func subtracting_givesTheObservationsInBetween() {
        var earlier = LatencyHistogram()
        earlier.counts[1] = 3
        var later = earlier
        later.counts[1] = 5
        later.sumNanoseconds = 10
        #expect(later.subtracting(earlier).count == 2)
    }

    @Test func statusCodes_areCountedExactly_elseByClass() {
        #expect(StatusCodeBucket.label(StatusCodeBucket.index(of: 429)) == "429")
        #expect(StatusCodeBucket.label(StatusCodeBucket.index(of: 418)) == "4xx")
        #expect(StatusCodeBucket.label(StatusCodeBucket.index(of: 299)) == "2xx")
        #expect(StatusCodeBucket.label(StatusCodeBucket.index(of: 999)) == "other")
    }
}

@Suite struct RuntimeOverridesTests {
    static func queue(rate: String = "10/s", burst: UInt64 = 1, processes: Int = 2) throws -> QueueConfig {
        let config = try FleetConfig.parse(Array("""
            {"queues": {"q-api": {"provider": "http", "baseURL": "http://127.0.0.1:1", "rate": "\(rate)", "burst": \(burst), "processes": \(processes)}}}
            """.utf8))
        return config.queues[0]
    }

    static var sample: RuntimeOverrides {
        var overrides = RuntimeOverrides()
        overrides.rate = .init(rate: try! Rate(parsing: "20/s"), burst: 3, replacedRate: "10/s", replacedBurst: 1)
        overrides.paused = true
        overrides.processes = .init(processes: 4, replaced: 2)
        return overrides
    }

    @Test func overrides_roundTripThroughTheirFile() throws {
        #expect(try RuntimeOverrides.parse(JSONWriter.bytes(Self.sample.json)) == Self.sample)
    }

    @Test func anOverride_appliesWhileTheConfigurationStillSaysWhatItReplaced() throws {
        let (kept, dropped) = Self.sample.applicable(to: try Self.queue())
        #expect(kept == Self.sample && dropped.isEmpty)
        let limits = kept.applied(to: try Self.queue().limits)
        let twenty = try Rate(parsing: "20/s")
        #expect(limits.paused && limits.rate == GCRA.Limit(rate: twenty, burst: 3))
    }

    @Test func anEditedConfiguration_winsOverTheOverrideItChanged_only() throws {
        let (kept, dropped) = Self.sample.applicable(to: try Self.queue(rate: "15/s"))
        #expect(kept.rate == nil && kept.processes == Self.sample.processes && kept.paused == true)
        #expect(dropped.count == 1 && dropped[0].contains("15/s"))
    }

    @Test func aDamagedFile_isRefused_neverTrusted() {
        for damaged in [#"{"rate": {"rate": "fast"}}"#,
                        #"{"rate": {"rate": "5/s", "burst": 0, "replacedRate": "1/s", "replacedBurst": 1}}"#,
                        #"{"rate": {"rate": "5/s", "burst": 2, "replacedRate": "1/s", "replacedBurst": -1}}"#,
                        #"{"processes": {"processes": -1, "replaced": 2}}"#,
                        #"{"processes": {"processes": 100000, "replaced": 2}}"#] {
            #expect(throws: ControlError.self, "\(damaged)") { try RuntimeOverrides.parse(Array(damaged.utf8)) }
        }
    }
}

@Suite struct AuthorizationAndClientTests {
    @Test func bearerToken_mustMatchExactly() {
        let authorization = Authorization(token: Secret("s3cret-token-value"))
        func request(_ header: String?) -> HTTPRequest {
            HTTPRequest(method: "POST", target: "/v1/queues/q/pause", headers: header.map { ["Authorization": $0] } ?? [:])
        }
        #expect(authorization.refusal(request("Bearer s3cret-token-value")) == nil)
        #expect(authorization.refusal(request("Bearer s3cret-token-valu"))?.status == .unauthorized)
        #expect(authorization.refusal(request("Bearer s3cret-token-value2"))?.status == .unauthorized)
        #expect(authorization.refusal(request(nil))?.status == .unauthorized)
        #expect(Authorization(token: nil).refusal(request(nil)) == nil)
    }

    @Test func clientParse_splitsStatusAndBody_andRefusesWhatIsNotHTTP() throws {
        let answer = Array("HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}".utf8)
        let response = try ControlClient.parse(answer, from: SocketAddress(host: "127.0.0.1", port: 1))
        #expect(response.status == 202 && response.body == Array("{}".utf8))
        #expect(throws: ControlClientError.self) { try ControlClient.parse(Array("SSH-2.0\r\n\r\n".utf8), from: SocketAddress(host: "127.0.0.1", port: 1)) }
    }

    @Test func percentEncodedPathSegments_areDecoded_plusStaysPlus() {
        #expect(ControlPlane.pathSegment("stripe%2Dapi") == "stripe-api")
        #expect(ControlPlane.pathSegment("bad%zz") == "bad%zz")
        #expect(ControlPlane.pathSegment("a+b") == "a+b")
    }
}

@Suite struct RenderCoalescerTests {
    /// The leader's rendering holds until followers have joined it (at most
    /// 5 s): on two cores the cooperative pool has two threads, and tasks that
    /// merely slept in their rendering could run one after another, never
    /// meeting (seen while other suites ran alongside).
    @Test func requestsArrivingDuringARendering_shareIt_andEveryoneGetsAPage() async throws {
        final class Renders: Sendable {
            let count = Mutex(0)
            let leaderRendering = Atomic<Bool>(false)
        }
        let coalescer = RenderCoalescer()
        let renders = Renders()
        let leader = Task {
            await coalescer.page {
                renders.leaderRendering.store(true, ordering: .releasing)
                for _ in 0..<500 where coalescer.waiting < 31 { usleep(10_000) }
                let count = renders.count.withLock { $0 += 1; return $0 }
                return Array("page \(count)".utf8)
            }
        }
        for _ in 0..<500 where !renders.leaderRendering.load(ordering: .acquiring) { try await Task.sleep(nanoseconds: 10_000_000) }
        let pages = await withTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<31 {
                group.addTask {
                    await coalescer.page {
                        let count = renders.count.withLock { $0 += 1; return $0 }
                        return Array("page \(count)".utf8)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        } + [await leader.value]
        #expect(pages.count == 32 && pages.allSatisfy { !$0.isEmpty })
        #expect(renders.count.withLock { $0 } < 32, "renderings were shared")
        // And one that comes later renders afresh.
        let later = await coalescer.page { Array("fresh".utf8) }
        #expect(later == Array("fresh".utf8))
    }
}
