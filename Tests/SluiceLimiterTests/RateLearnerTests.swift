import Testing
@testable import SluiceLimiter

/// The rate learner as data: histograms and instants in, limits out.
@Suite struct RateLearnerTests {
    static let second: UInt64 = 1_000_000_000
    /// 20/s, burst 1, counted per second (the provider's "20 per second").
    static let twenty = GCRA.Limit(interval: 50_000_000, tolerance: 0)

    static func lateness(_ observations: [(UInt64, UInt64)]) -> LatencyHistogram {
        var histogram = LatencyHistogram(bounds: LatencyHistogram.finerBounds)
        for (nanoseconds, count) in observations {
            histogram.counts[LatencyHistogram.bucket(of: nanoseconds, bounds: histogram.bucketBounds)] += count
            histogram.sumNanoseconds += nanoseconds * count
        }
        return histogram
    }

    @Test func inForce_widensTheIntervalByTheGuardPerWindow_andKeepsTheBurst() {
        let learner = RateLearner(configured: GCRA.Limit(interval: 50_000_000, tolerance: 100_000_000), window: Self.second, edgeGuard: 5_000_000)
        // 5 ms per second, and the path's 1 ms: 50 ms × 1.006.
        #expect(learner.inForce == GCRA.Limit(interval: 50_300_000, tolerance: 100_600_000))
        #expect(RateLearner(configured: .unlimited, window: Self.second).inForce == .unlimited)
        #expect(RateLearner(configured: Self.twenty, window: 0).inForce == Self.twenty)
    }

    @Test(arguments: [
        // (lateness observations (ns, count), window, expected guard, why)
        ([(80_000, 990), (150_000, 10)], second, 200_000 as UInt64?, "1% at 150 µs: a 200 µs guard costs 0.02%, dropping them 1%"),
        ([(80_000, 1_000)], second, 100_000, "all early: the least guard allowed"),
        ([(2_500_000, 1_000)], second, 3_000_000, "everything 2.5 ms late: the guard covers it"),
        ([(80_000, 999), (12_000_000, 1)], second, 100_000, "one in a thousand at 12 ms: dropping it (0.1%) is cheaper than a 15 ms guard (1.5%)"),
        ([(80_000, 900), (12_000_000, 100)], 60 * second, 15_000_000, "per minute a 15 ms guard is nearly free: cover the 10%"),
        ([(80_000, 19)], second, nil, "too few observations: keep the guard in force"),
    ] as [([(UInt64, UInt64)], UInt64, UInt64?, String)])
    func chooseGuard_takesTheBoundThatCostsTheLeastThroughput(_ observations: [(UInt64, UInt64)], _ window: UInt64, _ expected: UInt64?, _ why: String) {
        #expect(RateLearner.chooseGuard(Self.lateness(observations), window: window) == expected, "\(why)")
    }

    /// A 429 at the full rate doubles the path guard (the path's jitter may
    /// be what the provider saw); one at a learnt share (another client)
    /// does not; a minute without a 429 halves it, never below 1 ms.
    @Test func aFourTwentyNineAtTheFullRate_doublesThePathGuard_andCalmHalvesIt() {
        var learner = RateLearner(configured: Self.twenty, window: Self.second)
        #expect(learner.pathGuard == 1_000_000)
        learner.rateLimited(now: Self.second)
        #expect(learner.pathGuard == 2_000_000, "at the full rate")
        learner.rateLimited(now: 3 * Self.second)
        #expect(learner.pathGuard == 2_000_000, "at 90%: another client's, not the path's")
        learner.quiet(now: 62 * Self.second, elapsed: 59 * Self.second)
        #expect(learner.pathGuard == 2_000_000, "a minute not yet passed since the last 429")
        learner.quiet(now: 64 * Self.second, elapsed: 2 * Self.second)
        #expect(learner.pathGuard == 1_000_000)
        learner.quiet(now: 200 * Self.second, elapsed: 136 * Self.second)
        #expect(learner.pathGuard == 1_000_000, "never below its floor")
        var jittery = RateLearner(configured: Self.twenty, window: Self.second, pathGuard: 20_000_000)
        jittery.rateLimited(now: Self.second)
        #expect(jittery.pathGuard == RateLearner.pathGuardRange.upperBound, "bounded")
    }

    @Test func aFourTwentyNine_cutsTheShare_onceForABurstOfThem_andNeverBelowTheFloor() {
        var learner = RateLearner(configured: Self.twenty, window: Self.second)
        learner.rateLimited(now: 10 * Self.second)
        #expect(learner.share == RateLearner.decrease)
        learner.rateLimited(now: 10 * Self.second + 500_000_000)  // the same burst of 429s
        #expect(learner.share == RateLearner.decrease)
        #expect(learner.decreases == 1)
        var now = 11 * Self.second
        for _ in 0..<100 {
            learner.rateLimited(now: now)
            now += 2 * Self.second
        }
        #expect(learner.share == RateLearner.floor)
        #expect(learner.inForce.interval > Self.twenty.interval * 9)
    }

    @Test func quiet_returnsQuicklyBelowTheShareThatDrew429s_thenProbesFasterTheLongerItIsQuiet() {
        var learner = RateLearner(configured: Self.twenty, window: Self.second)
        learner.rateLimited(now: 0)  // at share 1: now 0.9
        var now: UInt64 = 0
        func advance(_ seconds: Double) {
            let step: UInt64 = 250_000_000
            for _ in 0..<Int(seconds * 4) {
                now += step
                learner.quiet(now: now, elapsed: step)
            }
        }
        advance(0.5)
        #expect(abs(learner.share - 0.925) < 1e-9, "0.05 a second, for 0.5 s")
        advance(1.25)
        #expect(abs(learner.share - RateLearner.returnUpTo) < 0.001, "then held near 98% of where the 429 came: \(learner.share)")
        advance(5)
        #expect(learner.share < 0.99, "probing slowly at first: \(learner.share)")
        advance(45)
        #expect(learner.share == 1, "back to the configured rate within 52 s of quiet: \(learner.share)")
    }

    /// Decreases close together say the budget is lower still: no quick
    /// climb back after the second, only the slow probe.
    @Test func decreasesCloseTogether_climbBackOnlySlowly() {
        var learner = RateLearner(configured: Self.twenty, window: Self.second)
        learner.rateLimited(now: Self.second)
        learner.rateLimited(now: 3 * Self.second)
        #expect(abs(learner.share - 0.81) < 1e-9)
        learner.quiet(now: 5 * Self.second, elapsed: 2 * Self.second)
        #expect(learner.share < 0.812, "no quick climb after a decrease 2 s after the one before: \(learner.share)")
        learner.rateLimited(now: 20 * Self.second)
        learner.quiet(now: 22 * Self.second, elapsed: 2 * Self.second)
        #expect(learner.share > 0.78, "an isolated decrease (17 s after the one before) climbs back quickly: \(learner.share)")
    }

    @Test func aSharedBudget_settlesNearIt() {
        // The provider allows 70% of the configured rate: a 429 whenever the
        // share in force passes 0.7. The learner must average within 5% of it.
        var learner = RateLearner(configured: Self.twenty, window: Self.second)
        var now: UInt64 = 0
        var total = 0.0
        var samples = 0.0
        var decreases: UInt64 = 0
        let step: UInt64 = 250_000_000
        for tick in 0..<(120 * 4) {
            now += step
            if learner.share > 0.7 { learner.rateLimited(now: now) } else { learner.quiet(now: now, elapsed: step) }
            if tick >= 30 * 4 {
                total += learner.share
                samples += 1
            }
            decreases = learner.decreases
        }
        let average = total / samples
        #expect(abs(average - 0.7) / 0.7 < 0.05, "average share \(average)")
        // 429s per request: at ~14/s for 90 s, ≤ 1%.
        #expect(Double(decreases) / (14 * 120) < 0.01, "\(decreases) decreases")
    }
}
