@testable import SluiceBench
import Testing

/// `bench schedule`'s figures over runs, its targets, and its tasks.
@Suite struct ScheduleReportTests {
    static func figure(_ combined: ScheduleFigure.Combined, _ runs: [Double?]) -> ScheduleFigure {
        ScheduleFigure(key: "k", label: "k", unit: "s", places: 2, combined: combined, runs: runs)
    }

    @Test(arguments: [
        // how      runs                     reported
        (ScheduleFigure.Combined.median, [1.0, 3.0, 2.0] as [Double?], 2.0 as Double?),
        (.median,   [1.0, nil, 2.0],         2.0),    // a run that never recovered counts as the longest
        (.median,   [nil, nil, 2.0],         nil),    // … so two of three say "not within the run"
        (.max,      [51, 49, 50],            51),     // busiest windows: the worst run
        (.sum,      [0, 2, 1],               3),      // 429s: all of them
    ])
    func runs_combineAsTheFigureSays(combined: ScheduleFigure.Combined, runs: [Double?], expected: Double?) {
        #expect(Self.figure(combined, runs).value == expected)
    }

    @Test func format_givesTheUnit_andSaysWhatIsMissing() {
        #expect(ScheduleFigure.format(49.96, unit: "/s", places: 1) == "50.0/s")
        #expect(ScheduleFigure.format(1.234, unit: "s", places: 2) == "1.23 s")
        #expect(ScheduleFigure.format(59.6, unit: "%", places: 0) == "60%")
        #expect(ScheduleFigure.format(412, unit: "µs", places: 0) == "412 µs")
        #expect(ScheduleFigure.format(1293.3, unit: "µs", places: 0) == "1,293 µs")
        #expect(ScheduleFigure.format(7, unit: "", places: 0) == "7")
        #expect(ScheduleFigure.format(nil, unit: "s", places: 2) == "not within the run")
    }

    @Test func runs_areLinedUpByFigure_inTheFirstRunsOrder() {
        var first = ScheduleRun(), second = ScheduleRun()
        first.record("a", "A", unit: "s", 1)
        first.record("b", "B", unit: "", combined: .sum, 2)
        second.record("b", "B", unit: "", combined: .sum, 5)
        second.record("a", "A", unit: "s", nil)
        let combined = ScheduleRun.combining([first, second])
        #expect(combined.map(\.key) == ["a", "b"])
        #expect(combined.map(\.runs) == [[1, nil], [2, 5]])
        #expect(combined[1].value == 7)
    }

    @Test func targets_areTheTestsBounds_judgedOnTheReportedValues() {
        // The set-rate scenario's horizon is 0.2 s: back within 1.2 s; 1.21 s misses it.
        let values: [String: Double] = ["recovery_s": 1.21, "slow_after_horizon": 3]
        let targets = ScheduleScenario.setRate.targets { values[$0] }
        #expect(targets.map(\.met) == [false, true])
        #expect(targets.map(\.value) == ["1.21 s", "3"])
        // A figure that was never reached misses its target rather than passing it.
        #expect(ScheduleScenario.scaleDown.targets { _ in nil }.map(\.met) == [false])
        #expect(ScheduleScenario.kill.targets { $0 == "achieved_percent" ? 66 : nil }.map(\.met) == [true])
        #expect(ScheduleScenario.keys.targets { ["cpu_ratio": 2.0, "many_drain_ratio": 1.101][$0] }.map(\.met) == [true, false])
    }

    @Test func metricSum_addsEverySeriesOfTheName_andNoOther() {
        let exposition = """
            # HELP sluice_limiter_key_deferrals_total Tasks given back to the spool because their key's own limit would not allow them.
            # TYPE sluice_limiter_key_deferrals_total counter
            sluice_limiter_key_deferrals_total{queue="twilio-api"} 1200
            sluice_limiter_key_deferrals_total{queue="other"} 34
            sluice_limiter_key_deferrals_total_extra 99
            sluice_limiter_key_table_full_total{queue="twilio-api"} 0
            """
        #expect(ScheduleFleet.sum(of: "sluice_limiter_key_deferrals_total", in: exposition) == 1234)
        #expect(ScheduleFleet.sum(of: "sluice_limiter_key_table_full_total", in: exposition) == 0)
        #expect(ScheduleFleet.sum(of: "sluice_absent_total", in: exposition) == nil)
    }

    @Test func keysTasks_spreadOverTheGivenNumbers_eachItsOwnSender() {
        let many = ScheduleScenario.keys.taskLines()
        let few = ScheduleScenario.keys.taskLines(numbers: ScheduleScenario.fewKeys)
        func senders(_ lines: [String]) -> Set<Substring> {
            Set(lines.compactMap { line in line.split(separator: "\"From\":\"").last?.split(separator: "\"").first })
        }
        #expect(many.count == 3000 && few.count == 3000)
        #expect(senders(many).count == 3000)
        #expect(senders(few).count == 200)
        #expect(few[201].contains(#""From":"+15550000001""#))
    }
}
