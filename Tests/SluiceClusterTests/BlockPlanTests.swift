import SluiceCore
import SluiceLimiter
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
        // (waiting, used/s, ahead, dry, expected) at 100/s, lead 25 ms
        (0, 0.0, 0, true, 0 as UInt64),       // nobody waits, nothing used lately: nothing
        (8, 0.0, 0, true, 8),                 // 8 attempts wait: 8 instants
        (8, 0.0, 5, true, 3),                 // 5 still to come: 3 more
        (8, 0.0, 8, true, 0),                 // enough held
        (40, 0.0, 0, true, 25),               // one block at most (a quarter second)
        (0, 100.0, 0, true, 3),               // used at 100/s lately: 2.5 ms … 25 ms ahead, rounded up
        (1, 0.0, 0, false, 1),                // not dry, but the shortfall is the whole lead
        (2, 400.0, 10, false, 0),             // short by 2 of a lead of 10, instants still held: wait for more
        (2, 400.0, 10, true, 2),              // …unless they are about to run out
    ] as [(Int, Double, UInt64, Bool, UInt64)])
    func instantsToReserve_coverTheWaitingAndTheRecentPace(waiting: Int, used: Double, ahead: UInt64, dry: Bool, expected: UInt64) {
        #expect(BlockPlan.instantsToReserve(waiting: waiting, usedPerSecond: used, lead: 25 * Self.ms, ahead: ahead,
                                            dry: dry, interval: 10 * Self.ms) == expected)
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

    @Test func firstInstant_isTheRoundTripsMidpointPlusTheOffset() {
        #expect(BlockPlan.firstInstant(sentAt: 1_000, receivedAt: 1_600, offset: 50) == 1_350)
    }

    @Test func scriptReply_isReadOnlyInItsShape() {
        #expect(ScheduleScript.Reply(.array([.integer(5), .integer(3), .integer(0)])) == ScheduleScript.Reply(offset: 5, count: 3, guard_: 0))
        #expect(ScheduleScript.Reply(.array([.integer(-1), .integer(3), .integer(0)])) == nil)
        #expect(ScheduleScript.Reply(.array([.integer(5), .integer(0), .integer(0)])) == nil)
        #expect(ScheduleScript.Reply(.integer(5)) == nil)
    }

    @Test func everyKey_isUnderTheFleetsPrefix() throws {
        let keys = ClusterKeys(fleet: try FleetName(validating: "prod"))
        #expect(keys.schedule(try QueueName(validating: "stripe-api")) == "sluice:prod:schedule:stripe-api")
    }
}
