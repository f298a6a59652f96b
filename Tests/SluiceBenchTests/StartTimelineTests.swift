import SluiceBench
import SluiceJSON
import Testing

/// The figures the report computes from the sandbox's arrivals, as data.
@Suite struct StartTimelineTests {
    @Test func windows_areTheProvidersHalfOpenOnes() {
        // (t − 1 s, t]: at t = 1 s the arrival at 0 has left the window, so the worst window holds 2, not 3.
        let timeline = StartTimeline(arrivals: [0, 500_000, 1_000_000], statuses: [200, 200, 200])
        #expect(timeline.worstWindow(width: 1_000_000) == 2)
        #expect(timeline.worstWindow(width: 1_000_001) == 3)
    }

    @Test(arguments: [
        // arrivals (µs)                        allowed  over the limit
        ([0, 100, 200, 300] as [UInt64],        3,       1),   // the 4th finds 3 already in its window
        ([0, 100, 200, 300],                    4,       0),
        ([0, 100, 1_000_100, 1_000_200],        1,       2),   // pairs 100 µs apart, the pairs 1 s apart
        ([0, 0, 0, 0, 0],                       2,       3),   // simultaneous arrivals all count
        ([],                                    1,       0),
    ])
    func violations_countTheRequestsThatFoundTheirWindowFull(arrivals: [UInt64], allowed: Int, expected: Int) {
        let timeline = StartTimeline(arrivals: arrivals, statuses: arrivals.map { _ in 200 })
        #expect(timeline.violations(width: 1_000_000, allowed: allowed) == expected)
    }

    @Test func rates_countSuccessesOnly_fromTheFirstArrivalToTheLastSuccess() {
        // A 429 first, then 11 successes 100 ms apart from 0.1 s, then a trailing 429 that does not extend the drain.
        let arrivals: [UInt64] = [0] + (1...11).map { UInt64($0) * 100_000 } + [1_200_000]
        let statuses = [429] + Array(repeating: 200, count: 11) + [429]
        let timeline = StartTimeline(arrivals: arrivals, statuses: statuses)
        #expect(timeline.successes.count == 11)
        #expect(timeline.rateLimited == 2)
        #expect(timeline.drainSeconds == 1.1)
        #expect(abs(timeline.achievedRate - 10 / 1.1) < 1e-9)
    }

    @Test func buckets_countSuccessesPerWidth_includingEmptyOnes() {
        let timeline = StartTimeline(arrivals: [10, 20, 250_000, 260_000, 270_000], statuses: [200, 429, 202, 0, 201])
        #expect(timeline.successesPerBucket(width: 100_000).map(\.count) == [1, 0, 2])
        #expect(timeline.successesPerBucket(width: 100_000).map(\.start) == [0, 100_000, 200_000])
    }

    @Test func arrivals_areSorted_withTheirStatusesKeptAlongside() {
        let timeline = StartTimeline(arrivals: [300, 100, 200], statuses: [429, 200, 500])
        #expect(timeline.arrivals == [100, 200, 300])
        #expect(timeline.statuses == [200, 500, 429])
    }

    @Test func json_ofTheSandboxsExport_isRead_andMismatchedArraysAreRefused() throws {
        guard case .object(let good) = try JSONParser.parse(Array(#"{"at": [5, 1], "status": [200, 429]}"#.utf8)),
              case .object(let bad) = try JSONParser.parse(Array(#"{"at": [5, 1], "status": [200]}"#.utf8)) else {
            Issue.record("fixtures are not objects")
            return
        }
        #expect(try StartTimeline(json: good) == StartTimeline(arrivals: [1, 5], statuses: [429, 200]))
        #expect(throws: BenchError.self) { try StartTimeline(json: bad) }
    }
}

extension StartTimelineTests {
    @Test func trailingWindow_isSampledAtEachStepsEnd_refusedRequestsIncluded() {
        // Arrivals at 0.05, 0.15, 0.2 (refused: the provider still counts it), 0.25 and 1.1 s.
        let timeline = StartTimeline(arrivals: [50_000, 150_000, 200_000, 250_000, 1_100_000], statuses: [200, 200, 429, 200, 200])
        let samples = timeline.trailingArrivals(every: 500_000, width: 1_000_000)
        // At 0.5 s: four in (−0.5, 0.5]; at 1.0 s: the same four; at 1.5 s: (0.5, 1.5] holds only 1.1 s.
        #expect(samples.map(\.end) == [500_000, 1_000_000, 1_500_000])
        #expect(samples.map(\.count) == [4, 4, 1])
    }
}
