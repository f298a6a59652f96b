import Testing
@testable import SluiceLimiter

/// The GCRA decision as data: fixed instants in, decisions out. No clock, no sleep.
@Suite struct GCRATableTests {
    /// 1 request per 100 ns; burst given per row.
    static func limit(burst: UInt64) -> GCRA.Limit { GCRA.Limit(interval: 100, tolerance: 100 * (burst - 1)) }

    struct Row: CustomTestStringConvertible, Sendable {
        let why: String
        let tat: UInt64, now: UInt64, cost: UInt64, burst: UInt64, maxWait: UInt64
        let expected: GCRA.Decision
        var testDescription: String { why }
    }

    static let rows: [Row] = [
        Row(why: "fresh bucket: start now, TAT one interval ahead",
            tat: 0, now: 1_000, cost: 1, burst: 1, maxWait: 0, expected: .granted(startAt: 1_000, newTAT: 1_100)),
        Row(why: "second request at the same instant, burst 1, may not wait: denied for one interval",
            tat: 1_100, now: 1_000, cost: 1, burst: 1, maxWait: 0, expected: .denied(retryAfter: 100)),
        Row(why: "same, but willing to wait: reserved one interval later",
            tat: 1_100, now: 1_000, cost: 1, burst: 1, maxWait: 1_000, expected: .granted(startAt: 1_100, newTAT: 1_200)),
        Row(why: "clock reads earlier than the stored TAT (another process moved it): nothing extra",
            tat: 5_000, now: 1_000, cost: 1, burst: 1, maxWait: 10_000, expected: .granted(startAt: 5_000, newTAT: 5_100)),
        Row(why: "clock earlier than TAT, tryAcquire: denied until the TAT",
            tat: 5_000, now: 1_000, cost: 1, burst: 1, maxWait: 0, expected: .denied(retryAfter: 4_000)),
        Row(why: "TAT long past: a full bucket, not credit for idle time",
            tat: 10, now: 1_000_000, cost: 1, burst: 1, maxWait: 0, expected: .granted(startAt: 1_000_000, newTAT: 1_000_100)),
        Row(why: "burst 3: third immediate request still fits",
            tat: 1_200, now: 1_000, cost: 1, burst: 3, maxWait: 0, expected: .granted(startAt: 1_000, newTAT: 1_300)),
        Row(why: "burst 3: fourth immediate request is the burst edge, waits one interval",
            tat: 1_300, now: 1_000, cost: 1, burst: 3, maxWait: 0, expected: .denied(retryAfter: 100)),
        Row(why: "cost 3 on a fresh burst-3 bucket: all of it at once",
            tat: 0, now: 1_000, cost: 3, burst: 3, maxWait: 0, expected: .granted(startAt: 1_000, newTAT: 1_300)),
        Row(why: "cost 2 after one unit used, burst 3: fits exactly",
            tat: 1_100, now: 1_000, cost: 2, burst: 3, maxWait: 0, expected: .granted(startAt: 1_000, newTAT: 1_300)),
        Row(why: "cost 2 with two units used, burst 3: waits for one unit to refill",
            tat: 1_200, now: 1_000, cost: 2, burst: 3, maxWait: 500, expected: .granted(startAt: 1_100, newTAT: 1_400)),
        Row(why: "cost larger than the burst can never fit: an error, not a wait",
            tat: 0, now: 1_000, cost: 4, burst: 3, maxWait: .max, expected: .costExceedsBurst),
        Row(why: "retryAfter accounts for maxWait: due in 400, may wait 150, ask again in 250",
            tat: 1_400, now: 1_000, cost: 1, burst: 1, maxWait: 150, expected: .denied(retryAfter: 250)),
        Row(why: "wait exactly equal to maxWait is granted",
            tat: 1_400, now: 1_000, cost: 1, burst: 1, maxWait: 400, expected: .granted(startAt: 1_400, newTAT: 1_500)),
        Row(why: "cost 0 on a bucket within its window starts now and moves nothing",
            tat: 1_050, now: 1_000, cost: 0, burst: 1, maxWait: 0, expected: .granted(startAt: 1_000, newTAT: 1_050)),
        Row(why: "cost 0 still respects a TAT pushed far ahead (backpressure)",
            tat: 9_000, now: 1_000, cost: 0, burst: 1, maxWait: 0, expected: .denied(retryAfter: 7_900)),
    ]

    @Test(arguments: rows)
    func reserve_decidesAsTabulated(_ row: Row) {
        let decision = GCRA.reserve(tat: row.tat, now: row.now, cost: row.cost, limit: Self.limit(burst: row.burst), maxWait: row.maxWait)
        #expect(decision == row.expected, "\(row.why)")
    }

    @Test func reserve_whenUnlimited_startsNowUnlessPushedBack() {
        #expect(GCRA.reserve(tat: 0, now: 50, cost: 1_000_000, limit: .unlimited, maxWait: 0) == .granted(startAt: 50, newTAT: 50))
        // A TAT ahead of now on an unlimited queue can only come from a push-back (a 429): honour it.
        #expect(GCRA.reserve(tat: 90, now: 50, cost: 1, limit: .unlimited, maxWait: 0) == .denied(retryAfter: 40))
    }

    @Test func reserve_whenCostOverflows_refusesInsteadOfWrapping() {
        let slow = GCRA.Limit(interval: UInt64.max / 4, tolerance: 0)
        #expect(GCRA.reserve(tat: 0, now: 1, cost: 8, limit: slow, maxWait: .max) == .costExceedsBurst)
    }

    /// Rate change mid-stream: the TAT carries what was used; the new
    /// interval applies from the next request on.
    @Test func reserve_whenRateChangesMidStream_keepsHistoryAndAppliesNewInterval() {
        var tat: UInt64 = 0
        var starts: [UInt64] = []
        for (index, interval) in [100, 100, 100, 1_000, 1_000, 10].enumerated() {
            let limit = GCRA.Limit(interval: UInt64(interval), tolerance: 0)
            guard case .granted(let startAt, let newTAT) = GCRA.reserve(tat: tat, now: 1_000, cost: 1, limit: limit, maxWait: .max) else {
                Issue.record("row \(index) not granted")
                return
            }
            starts.append(startAt)
            tat = newTAT
        }
        // 100-spaced, then slowed to 1000 (history kept: no instant repeats), then fast again after the debt.
        #expect(starts == [1_000, 1_100, 1_200, 1_300, 2_300, 3_300])
    }

    /// A simulated saturating stream of callers that reserve (wait up to ten
    /// intervals): in every closed window of W, at most floor(W / interval) +
    /// burst starts, and the stream achieves the rate.
    @Test(arguments: [1, 2, 5] as [UInt64])
    func reserve_underSaturation_holdsEveryWindowAndAchievesTheRate(_ burst: UInt64) {
        let limit = GCRA.Limit(interval: 1_000, tolerance: 1_000 * (burst - 1))
        var tat: UInt64 = 0
        var starts: [UInt64] = []
        var now: UInt64 = 10_000
        while starts.count < 2_000 {
            if case .granted(let startAt, let newTAT) = GCRA.reserve(tat: tat, now: now, cost: 1, limit: limit, maxWait: 10_000) {
                starts.append(startAt)
                tat = newTAT
            }
            now += 137 // callers arrive faster than the rate
        }
        for width: UInt64 in [1_000, 10_000, 100_000] {
            var first = 0
            for last in starts.indices {
                while starts[last] - starts[first] > width { first += 1 }
                #expect(last - first + 1 <= Int(width / 1_000 + burst))
            }
        }
        let achieved = Double(starts.count - Int(burst)) / Double(starts.last! - starts.first!) * 1_000
        #expect(achieved >= 0.99)
    }

    @Test func limit_fromRateAndBurst_setsToleranceAndCapacity() throws {
        let limit = GCRA.Limit(rate: try Rate(parsing: "90000/min"), burst: 90_000)
        #expect(limit.interval == 666_667)
        #expect(limit.tolerance == 666_667 * 89_999)
        #expect(limit.capacity == 90_000)
    }

    @Test func remaining_countsImmediateStartsLeft() {
        let limit = Self.limit(burst: 5)
        #expect(GCRA.remaining(tat: 0, now: 1_000, limit: limit) == 5)
        #expect(GCRA.remaining(tat: 1_200, now: 1_000, limit: limit) == 3)
        #expect(GCRA.remaining(tat: 1_500, now: 1_000, limit: limit) == 0)
    }
}

@Suite struct GCRARescaleTests {
    static let second: UInt64 = 1_000_000_000
    static let minute = GCRA.Limit(interval: 60 * second, tolerance: 0)
    static let fifty = GCRA.Limit(interval: 20_000_000, tolerance: 0)

    @Test(arguments: [
        // (tat, now, old, new, expected, why)
        (100 * second, 40 * second, minute, fifty, 40 * second + 20_000_000, "one request booked at 1/min is one at 50/s"),
        (40 * second + 40_000_000, 40 * second, fifty, minute, 40 * second + 120 * second, "two requests booked at 50/s are two at 1/min"),
        (30 * second, 40 * second, minute, fifty, 30 * second, "no debt: left alone"),
        (50 * second, 40 * second, GCRA.Limit.unlimited, fifty, 40 * second, "from unlimited: no debt to keep"),
    ] as [(UInt64, UInt64, GCRA.Limit, GCRA.Limit, UInt64, String)])
    func rescaled_keepsTheDebtInRequests(_ tat: UInt64, _ now: UInt64, _ old: GCRA.Limit, _ new: GCRA.Limit, _ expected: UInt64, _ why: String) {
        #expect(GCRA.rescaled(tat: tat, now: now, from: old, to: new) == expected, "\(why)")
    }

    @Test func rescaled_ofAHugeDebt_neverOverflows() {
        let result = GCRA.rescaled(tat: UInt64.max / 2, now: 0, from: GCRA.Limit(interval: 1, tolerance: 0), to: Self.minute)
        #expect(result == UInt64.max / 2)
    }

    static let twenty = GCRA.Limit(interval: 50_000_000, tolerance: 0)
    static let twentyGuarded = GCRA.Limit(interval: 50_250_000, tolerance: 0)

    @Test(arguments: [
        // (tat, now, old, new, expected, why)
        (10 * second + 500_000_000, 10 * second, twentyGuarded, twenty, 10 * second + 500_000_000 - 250_000,
         "ten booked at the slower rate: the next comes one new interval after the last booking, not rescaled in among them"),
        (10 * second + 500_000_000, 10 * second, twenty, twentyGuarded, 10 * second + 502_500_000,
         "slower: rescaled as before (debt in requests)"),
        (9 * second, 10 * second, twentyGuarded, twenty, 9 * second, "no debt: left alone"),
    ] as [(UInt64, UInt64, GCRA.Limit, GCRA.Limit, UInt64, String)])
    func rescaledKeepingBookings_neverBooksAmongTheBookingsMade(_ tat: UInt64, _ now: UInt64, _ old: GCRA.Limit, _ new: GCRA.Limit, _ expected: UInt64, _ why: String) {
        #expect(GCRA.rescaledKeepingBookings(tat: tat, now: now, from: old, to: new) == expected, "\(why)")
    }
}
