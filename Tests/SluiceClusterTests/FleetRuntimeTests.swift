import SluiceCore
import SluiceLimiter
import SluiceRedis
import Synchronization
import Testing
@testable import SluiceCluster

/// The runtime settings a fleet shares: how a record reads, how changes
/// made before they are written merge, and the exchange's one rule (a record
/// never lands on a change still to be written).
@Suite struct FleetRuntimeTests {
    func fields(_ texts: [String]) -> ArraySlice<RESPValue> { texts.map { .bulkString(Array($0.utf8)) }[...] }

    @Test func record_readsWhatTheScriptsReturn() throws {
        let full = try #require(FleetRuntime(fields(["3", "30/s", "2", "90/s", "1", "1", "2"])))
        #expect(full == FleetRuntime(version: 3, rate: .init(rate: try Rate(parsing: "30/s"), burst: 2, replacedRate: "90/s", replacedBurst: 1),
                                     paused: true, lifts: 2))
        // Nothing set in the fleet (Redis restarted empty, or never changed): nothing to apply.
        #expect(FleetRuntime(fields(["", "", "", "", "", "", ""])) == FleetRuntime())
        // The version as an integer reply reads the same.
        #expect(FleetRuntime([.integer(4)] + fields(["", "", "", "", "0", ""])) == FleetRuntime(version: 4, paused: false))
    }

    @Test(arguments: [
        ["1", "fast", "1", "90/s", "1", "", ""],      // not a rate
        ["1", "unlimited", "1", "90/s", "1", "", ""], // not one set-rate accepts
        ["1", "30/s", "0", "90/s", "1", "", ""],      // burst 0
        ["1", "30/s", "1", "90/s", "x", "", ""],      // replaced burst not a number
        ["1", "", "", "", "", "yes", ""],             // paused neither 0 nor 1
        ["-1", "", "", "", "", "", ""],               // a negative version
        ["1", "", "", "", "", ""],                    // a field short
    ])
    func record_writtenByAnotherProgram_isNotApplied(_ texts: [String]) {
        #expect(FleetRuntime(fields(texts)) == nil)
    }

    @Test func changes_mergeTheLaterOnesFieldsWin_andALiftStays() throws {
        let slow = FleetRuntime.RateSetting(rate: try Rate(parsing: "10/s"), burst: 1, replacedRate: "90/s", replacedBurst: 1)
        let fast = FleetRuntime.RateSetting(rate: try Rate(parsing: "50/s"), burst: 1, replacedRate: "90/s", replacedBurst: 1)
        let setRate = RuntimeChange(rate: slow, liftsHold: true)
        let pause = RuntimeChange(paused: true)
        #expect(setRate.followed(by: pause) == RuntimeChange(rate: slow, paused: true, liftsHold: true))
        #expect(pause.followed(by: RuntimeChange(rate: fast, paused: false, liftsHold: true))
                == RuntimeChange(rate: fast, paused: false, liftsHold: true))
    }

    @Test func scriptArguments_leaveWhatDidNotChangeEmpty() throws {
        let rate = FleetRuntime.RateSetting(rate: try Rate(parsing: "30/s"), burst: 2, replacedRate: "90/s", replacedBurst: 1)
        #expect(RuntimeScript.arguments(RuntimeChange(rate: rate, liftsHold: true), host: "a") == ["30/s", "2", "90/s", "1", "", "1", "a"])
        #expect(RuntimeScript.arguments(RuntimeChange(paused: true), host: "b") == ["", "", "", "", "1", "0", "b"])
    }

    @Test func exchange_keepsAChangeToWrite_andRefusesARecordOverIt() throws {
        let exchange = RuntimeExchange()
        let queue = try QueueName(validating: "q")
        let applied = Atomic(0)
        exchange.setApplier { name, _, _ in
            if exchange.isPending(name) { return false }
            applied.add(1, ordering: .relaxed)
            return true
        }
        exchange.post(queue, RuntimeChange(paused: true))
        #expect(!exchange.apply(queue, FleetRuntime(version: 1), liftsHold: false), "a change of this host's is newer")
        let taken = exchange.take()
        #expect(taken == [queue: RuntimeChange(paused: true)] && !exchange.isPending(queue))
        // Redis did not answer; meanwhile the operator resumed: the resume wins.
        exchange.post(queue, RuntimeChange(paused: false, liftsHold: true))
        exchange.putBack(queue, RuntimeChange(paused: true))
        #expect(exchange.take() == [queue: RuntimeChange(paused: false, liftsHold: true)])
        #expect(exchange.apply(queue, FleetRuntime(version: 2), liftsHold: false) && applied.load(ordering: .relaxed) == 1)
    }
}
