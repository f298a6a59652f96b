import SluiceCluster
import SluiceConfig
import SluiceLimiter
import Testing
@testable import SluiceControl

/// What a host does with the rate in a fleet record, as a table: applied
/// when it replaced what this host's configuration says and differs from
/// what the host has; kept when the host has it (so a record applied twice,
/// or the host's own, changes nothing); refused when the configuration moved.
@Suite struct FleetRuntimeDecisionTests {
    static func setting(_ rate: String, burst: UInt64 = 1, replacing replaced: String = "10/s", _ replacedBurst: UInt64 = 1) -> FleetRuntime.RateSetting {
        FleetRuntime.RateSetting(rate: try! Rate(parsing: rate), burst: burst, replacedRate: replaced, replacedBurst: replacedBurst)
    }

    @Test func rate_isAppliedOnlyWhereItIsNewAndTheConfigurationStillSaysWhatItReplaced() throws {
        let queue = try RuntimeOverridesTests.queue(rate: "10/s", burst: 1)
        let thirty = Self.setting("30/s")
        let current = RuntimeOverrides.RateOverride(rate: try Rate(parsing: "30/s"), burst: 1, replacedRate: "10/s", replacedBurst: 1)
        let rows: [(FleetRuntime.RateSetting?, RuntimeOverrides.RateOverride?, FleetRuntimeDecision, String)] = [
            (nil, nil, .keep, "the fleet set no rate: the host keeps its own"),
            (nil, current, .keep, "nor does it undo one the host has"),
            (thirty, nil, .apply(thirty), "a rate set elsewhere over the same configuration"),
            (thirty, current, .keep, "already in force here (this host's own, or applied before)"),
            (Self.setting("30/s", burst: 4), current, .apply(Self.setting("30/s", burst: 4)), "a new burst is a change"),
            (Self.setting("30/s", replacing: "20/s"), nil, .configurationChanged(Self.setting("30/s", replacing: "20/s")),
             "set over 20/s; this host's configuration says 10/s: it wins"),
            (Self.setting("30/s", replacing: "10/s", 2), nil, .configurationChanged(Self.setting("30/s", replacing: "10/s", 2)),
             "a different configured burst, likewise"),
        ]
        for (setting, current, expected, why) in rows {
            #expect(FleetRuntimeDecision.rate(setting, configured: queue, current: current) == expected, "\(why)")
        }
    }
}
