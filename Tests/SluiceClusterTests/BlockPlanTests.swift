import SluiceCore
import SluiceLimiter
import SluiceRedis
import Testing
@testable import SluiceCluster

/// The agent's arithmetic, as tables: block sizes, the declared bound, the mapping.
@Suite struct BlockPlanTests {
    static let ms: UInt64 = 1_000_000

    @Test(arguments: [
        // (interval, largest block)
        (10 * ms, 25 as UInt64),          // 100/s: a quarter second
        (500_000, 500),                   // 2,000/s
        (100_000, 1_000),                 // 10,000/s: capped
        (1_000 * ms, 1),                  // 1/s: one at a time
    ] as [(UInt64, UInt64)])
    func largestBlock_isAQuarterSecondBetweenOneAndAThousand(interval: UInt64, expected: UInt64) {
        #expect(BlockPlan.largestBlock(interval: interval) == expected)
    }

    @Test(arguments: [
        // (waiting, backlog, paced, ahead, dry, batch, expected) at 100/s
        (0, 0, 10, 0, true, 1, 0 as UInt64),         // nobody waits, no task ready: nothing, however dry
        (8, 0, 10, 0, true, 5, 8),                   // 8 attempts wait, nothing held: 8 instants
        (8, 0, 10, 5, true, 5, 3),                   // 5 still to come: 3 more
        (8, 0, 10, 8, true, 5, 0),                   // enough held
        (40, 0, 0, 0, true, 5, 25),                  // one block at most (a quarter second)
        (3, 0, 0, 0, false, 5, 0),                   // not dry, short of the batch: let more attempts gather
        (9, 0, 0, 3, false, 5, 6),                   // not dry, a batch's worth: now
        (2, 500, 10, 0, false, 5, 12),               // ahead of need: the pace's 10 more, tasks are there
        (2, 3, 10, 0, true, 5, 5),                   // …but only as far as the 3 ready tasks go
    ] as [(Int, Int, UInt64, UInt64, Bool, UInt64, UInt64)])
    func instantsToReserve_areTheWaitingAndTheReadyAtThePace(waiting: Int, backlog: Int, paced: UInt64, ahead: UInt64, dry: Bool,
                                                             batch: UInt64, expected: UInt64) {
        #expect(BlockPlan.instantsToReserve(waiting: waiting, backlog: backlog, paced: paced, ahead: ahead, dry: dry,
                                            batch: batch, interval: 10 * Self.ms) == expected)
    }

    @Test(arguments: [
        // (used/s, interval, expected batch) over 50 ms
        (0.0, 10 * ms, 1 as UInt64),
        (90.0, 11_111_112, 5),                 // 4.5 rounded up
        (2_000.0, 500_000, 100),
        (10_000.0, 100_000, 500),              // half the largest block
    ] as [(Double, UInt64, UInt64)])
    func batch_isFiftyMillisecondsOfRecentUse(used: Double, interval: UInt64, expected: UInt64) {
        #expect(BlockPlan.batch(usedPerSecond: used, span: 50 * Self.ms, interval: interval) == expected)
    }

    @Test(arguments: [
        // (interval, typical round trip, timeout, count, expected bound)
        (10 * ms, 300_000, 100 * ms, 0, 10 * ms),            // an interval: a guard of 0 costs nothing
        (500_000, 300_000, 100 * ms, 0, 1_200_000),           // 4 round trips
        (500_000, 100_000, 100 * ms, 0, 1 * ms),              // at least 1 ms
        (500_000, 40 * ms, 100 * ms, 0, 100 * ms),            // at most the timeout
        (500_000, 100_000, 100 * ms, 100, 1 * ms + 25_000),   // + 500 ppm of a 50 ms block
    ] as [(UInt64, UInt64, UInt64, UInt64, UInt64)])
    func bound_isAboutFourRoundTripsWithinLimits(interval: UInt64, roundTrip: UInt64, timeout: UInt64, count: UInt64, expected: UInt64) {
        #expect(BlockPlan.bound(interval: interval, typicalRoundTrip: roundTrip, callTimeout: timeout, count: count) == expected)
    }

    @Test(arguments: [
        // (count, interval, round trip, bound, expected (skip, count))
        (100, 500_000, 800_000, 1 * ms, (0, 100) as (UInt64, UInt64)?),     // within its bound: whole
        (100, 500_000, 3 * ms, 1 * ms, (2, 96)),                            // 1 ms over each side: 2 instants each end
        (100, 500_000, 11 * ms, 1 * ms, (10, 80)),
        (10, 500_000, 11 * ms, 1 * ms, nil),                                // nothing left: discarded
    ] as [(UInt64, UInt64, UInt64, UInt64, (UInt64, UInt64)?)])
    func lateBlock_dropsItsEdgesByTheExcessError(count: UInt64, interval: UInt64, roundTrip: UInt64, bound: UInt64, expected: (UInt64, UInt64)?) {
        let result = BlockPlan.trimmed(count: count, interval: interval, roundTrip: roundTrip, bound: bound)
        #expect(result?.skip == expected?.0 && result?.count == expected?.1)
    }

    @Test func firstInstant_isTheRoundTripsMidpointPlusTheOffset() {
        #expect(BlockPlan.firstInstant(sentAt: 1_000, receivedAt: 1_600, offset: 50) == 1_350)
    }

    @Test func scriptReply_isReadOnlyInItsShape() {
        typealias Reply = ScheduleScript.Reply
        let n = { (values: [Int64]) in RESPValue.array(values.map(RESPValue.integer)) }
        // A block: kind 1, offset, count, hold left, version, guard; last, the fleet's decreases.
        #expect(Reply(n([1, 5, 3, 0, 0, 0, 0])) == Reply(schedule: .block(offset: 5, count: 3, guard_: 0)))
        // Full: kind 2, retry after; a hold of 40 ns left, settings version 2, 3 decreases.
        #expect(Reply(n([2, 7, 0, 40, 2, 3])) == Reply(schedule: .full(retryAfter: 7), holdLeft: 40, version: 2, decreases: 3))
        // No block asked for.
        #expect(Reply(n([0, 0, 0, 0, 4, 0])) == Reply(schedule: .none, version: 4))
        #expect(Reply(n([1, -1, 3, 0, 0, 0, 0])) == nil, "a negative offset")
        #expect(Reply(n([1, 5, 0, 0, 0, 0, 0])) == nil, "a block of nothing")
        #expect(Reply(n([3, 5, 3, 0, 0, 0])) == nil, "an unknown kind")
        #expect(Reply(n([0, 0, 0, 0, 4, -1])) == nil, "a negative count of decreases")
        #expect(Reply(n([1, 5, 3, 0, 0, 0])) == nil, "the shape before decreases")
        #expect(Reply(n([1, 5, 3])) == nil, "the shape before holds and settings")
        #expect(Reply(.integer(5)) == nil)
    }

    @Test func horizon_isASecondOrTwoIntervalsOrTwoTimeouts() {
        #expect(ScheduleScript.horizon(interval: 10 * Self.ms, callTimeout: 100 * Self.ms) == 1_000 * Self.ms)
        #expect(ScheduleScript.horizon(interval: 60_000 * Self.ms, callTimeout: 100 * Self.ms) == 120_000 * Self.ms)
        #expect(ScheduleScript.horizon(interval: 10 * Self.ms, callTimeout: 5_000 * Self.ms) == 10_000 * Self.ms)
    }

    @Test func everyKey_isUnderTheFleetsPrefix() throws {
        let keys = ClusterKeys(fleet: try FleetName(validating: "prod"))
        #expect(keys.schedule(try QueueName(validating: "stripe-api")) == "sluice:prod:schedule:stripe-api")
    }
}
