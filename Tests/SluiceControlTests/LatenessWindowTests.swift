import SluiceLimiter
import Testing
@testable import SluiceControl

/// The lateness the rate learning judges: the last 10 s, or more, up to two
/// minutes, until it holds the learner's minimum of samples (a slow queue
/// learns its guard too).
@Suite struct LatenessWindowTests {
    static let second: UInt64 = 1_000_000_000

    /// Cumulative snapshots, one a second, with `perSecond` requests in each.
    static func snapshots(seconds: Int, perSecond: UInt64) -> [(at: UInt64, histogram: LatencyHistogram)] {
        var histogram = LatencyHistogram(bounds: LatencyHistogram.finerBounds)
        return (0...seconds).map { second in
            if second > 0 { histogram.counts[0] += perSecond }
            return (UInt64(second) * Self.second, histogram)
        }
    }

    @Test func aBusyQueue_isJudgedOverItsLastTenSeconds() {
        var lateness = Self.snapshots(seconds: 30, perSecond: 20)
        let totals = lateness.last!.histogram
        RateLearning.trim(&lateness, now: 30 * Self.second, totals: totals)
        #expect(lateness.first?.at == 20 * Self.second)
        #expect(totals.subtracting(lateness.first!.histogram).count == 200)
    }

    @Test func aSlowQueue_keepsHistoryUntilItHoldsEnoughSamples() {
        // 1.5 a second, as 3 every 2 s: 10 s hold 15, fewer than 20.
        var lateness = Self.snapshots(seconds: 40, perSecond: 0).enumerated().map { index, snapshot in
            var histogram = snapshot.histogram
            histogram.counts[0] = UInt64(index / 2 * 3)
            return (at: snapshot.at, histogram: histogram)
        }
        let totals = lateness.last!.histogram
        RateLearning.trim(&lateness, now: 40 * Self.second, totals: totals)
        let held = totals.subtracting(lateness.first!.histogram).count
        #expect(held >= RateLearner.minimumSamples, "\(held) samples judged")
        #expect(held < RateLearner.minimumSamples + 6, "no more history than it needs: \(held)")
    }

    @Test func anIdleQueue_keepsAtMostTwoMinutes() {
        var lateness = Self.snapshots(seconds: 300, perSecond: 0)
        let totals = lateness.last!.histogram
        RateLearning.trim(&lateness, now: 300 * Self.second, totals: totals)
        #expect(lateness.first!.at >= 180 * Self.second)
    }
}
