import SluiceBench
import Testing

/// What `bench schedule` reads from arrivals around its own actions, as data:
/// µs on the sandbox's axis, as `GET /__sandbox/arrivals` gives them.
@Suite struct ScheduleTimelineTests {
    static func steady(from start: UInt64, every gap: UInt64, count: Int) -> [UInt64] {
        (0..<count).map { start + UInt64($0) * gap }
    }

    static func timeline(_ arrivals: [UInt64]) -> StartTimeline {
        StartTimeline(arrivals: arrivals, statuses: arrivals.map { _ in 200 })
    }

    @Test(arguments: [
        // instant (ns)       start (ns)        µs on the axis
        (5_000_000 as UInt64, 1_000_000 as UInt64, 4_000 as UInt64),  // 4 ms after the sandbox's start
        (1_000_999,           1_000_000,           0),                // under a µs: truncated, as the sandbox truncates
        (999_999,             1_000_000,           0),                // before the start: 0, never a wrapped subtraction
    ])
    func offset_placesAMonotonicInstantOnTheArrivalsAxis(instant: UInt64, start: UInt64, expected: UInt64) {
        #expect(StartTimeline.offset(of: instant, since: start) == expected)
    }

    @Test func rate_countsArrivalsInTheHalfOpenSpan_perSecond() {
        // 10 arrivals 100 ms apart from 0: [0, 1 s) holds all 10; [0.5 s, 1 s) holds 0.5…0.9 s.
        let timeline = Self.timeline(Self.steady(from: 0, every: 100_000, count: 10))
        #expect(timeline.count(from: 0, to: 1_000_000) == 10)
        #expect(timeline.count(from: 500_000, to: 900_000) == 4)   // 0.9 s itself is outside
        #expect(timeline.count(from: 900_000, to: 500_000) == 0)   // an inverted span is empty
        #expect(timeline.rate(from: 500_000, to: 1_000_000) == 10)
        #expect(timeline.rate(from: 0, to: 2_000_000) == 5)
        #expect(timeline.rate(from: 7, to: 7) == 0)
        #expect(timeline.firstArrival(atOrAfter: 250_000) == 300_000)
        #expect(timeline.firstArrival(atOrAfter: 900_001) == nil)
    }

    @Test(arguments: [
        // rate   gaps judged
        (5.0,     10),   // a second at 5/s is too few
        (10.0,    10),
        (50.0,    50),   // one second's worth
        (150.0,   150),
        (50.5,    51),
    ])
    func recovery_judgesOneSecondsWorthOfGaps_atLeastTen(rate: Double, gaps: Int) {
        #expect(StartTimeline.recoveryGaps(rate: rate) == gaps)
    }

    @Test func recovery_isTheFirstArrivalFromWhichTheRateHeld() {
        // The event at 1 s; a stranded second of silence, then 5/s from 2.2 s: back 1.2 s after it.
        let arrivals = Self.steady(from: 0, every: 200_000, count: 5) + Self.steady(from: 2_200_000, every: 200_000, count: 20)
        #expect(Self.timeline(arrivals).recoverySeconds(after: 1_000_000, rate: 5) == 1.2)
    }

    @Test func recovery_isImmediateWhenTheRateNeverDropped() {
        let timeline = Self.timeline(Self.steady(from: 0, every: 200_000, count: 30))
        // The first arrival at or after 1.1 s is at 1.2 s.
        let seconds = timeline.recoverySeconds(after: 1_100_000, rate: 5)
        #expect(seconds.map { abs($0 - 0.1) < 1e-9 } == true)
    }

    @Test func recovery_toleratesFivePercentBelowTheRate_notMore() {
        // 10 gaps at 5/s may span 10 / 4.75 s = 2.105 s.
        let event: UInt64 = 0
        let justInside = Self.steady(from: 100_000, every: 210_000, count: 11)   // 2.1 s for 10 gaps
        let justOutside = Self.steady(from: 100_000, every: 211_000, count: 11)  // 2.11 s
        #expect(Self.timeline(justInside).recoverySeconds(after: event, rate: 5) == 0.1)
        #expect(Self.timeline(justOutside).recoverySeconds(after: event, rate: 5) == nil)
    }

    @Test func recovery_isNotDecidedByOneRequestAlone() {
        // A straggler at 0.5 s, silence to 3 s, then 5/s: the rate is back at 3 s, not at the straggler.
        let arrivals = [500_000] + Self.steady(from: 3_000_000, every: 200_000, count: 15)
        #expect(Self.timeline(arrivals).recoverySeconds(after: 0, rate: 5) == 3)
    }

    @Test func recovery_isNilWhenTooFewArrivalsFollow() {
        // 10 arrivals make only 9 gaps: not enough to say the rate is back.
        #expect(Self.timeline(Self.steady(from: 0, every: 200_000, count: 10)).recoverySeconds(after: 0, rate: 5) == nil)
        #expect(Self.timeline(Self.steady(from: 0, every: 200_000, count: 11)).recoverySeconds(after: 0, rate: 5) == 0)
        #expect(Self.timeline([]).recoverySeconds(after: 0, rate: 5) == nil)
        #expect(Self.timeline(Self.steady(from: 0, every: 200_000, count: 20)).recoverySeconds(after: 0, rate: 0) == nil)
    }

    @Test func gaps_areBetweenAnsweredArrivals_dropsLeftOut() {
        // Answered at 0, 0.3 and 1.5 s; the drops at 0.8 and 1.0 s answered nothing, so the gap is 1.2 s.
        let timeline = StartTimeline(arrivals: [0, 300_000, 800_000, 1_000_000, 1_500_000], statuses: [200, 429, 0, 0, 200])
        #expect(timeline.dropped == 2)
        #expect(timeline.longestGapBetweenAnswers == 1.2)
        #expect(StartTimeline(arrivals: [5], statuses: [200]).longestGapBetweenAnswers == 0)
    }
}
