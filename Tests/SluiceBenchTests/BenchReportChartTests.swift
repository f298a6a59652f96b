import Foundation
@testable import SluiceBench
import SluiceTestSupport
import Testing

/// Which run the side-by-side charts draw, and on what scale.
@Suite struct BenchReportChartTests {
    @Test func versusCharts_drawEachContendersMedianRun_onOneYScale() throws {
        let raw = try BenchReportTests.rawDirectory()
        // Two more Sluice runs: drains of 1.0 s (run 1), 2.0 s (run 2) and 0.5 s (run 3); the median is run 1.
        try BenchReportTests.versusLeg("sluice", run: 2, count: 91, gap: 22_222).write(toFile: raw.file("versus/sluice-run2.json"), atomically: true, encoding: .utf8)
        try BenchReportTests.versusLeg("sluice", run: 3, count: 91, gap: 5_555).write(toFile: raw.file("versus/sluice-run3.json"), atomically: true, encoding: .utf8)
        let inputs = try BenchReportInputs(directory: raw.path)
        #expect(BenchReport.medianRun(inputs.versus.filter { $0.contender == "sluice" })?.run == 1)
        let charts = BenchReport.versusCharts(inputs)
        #expect(charts.map(\.file) == ["versus-starts-sluice.svg", "versus-starts-dramatiq.svg"])
        #expect(charts.first?.chart.title.hasSuffix("run 1)") == true)
        // Dramatiq's 100 successes in its first 100 ms set the shared top.
        #expect(charts.map { $0.chart.domains.y } == [0...100, 0...100])
    }
}
