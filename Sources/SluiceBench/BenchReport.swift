import Foundation

/// `sluice bench report`: turns the raw results of one `make bench` run
/// (`BenchReportInputs`) into `REPORT.md` and its SVG charts.
///
/// Every figure is computed here from the raw files, never typed in, and every
/// section names the command that produced its raw file and the machine it ran
/// on. Sections whose raw files are missing are left out, and the report says so.
public struct BenchReport: Sendable {
    public let inputs: BenchReportInputs

    public init(inputs: BenchReportInputs) { self.inputs = inputs }

    /// Writes REPORT.md and the charts into `directory`; returns the paths written.
    public func write(to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        let charts = try self.charts()
        for chart in charts {
            let path = "\(directory)/\(chart.file)"
            try chart.chart.render().write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        let path = "\(directory)/REPORT.md"
        try markdown(charts: Set(charts.map(\.file))).write(toFile: path, atomically: true, encoding: .utf8)
        written.append(path)
        return written
    }

    func charts() throws -> [Chart] {
        [Self.limiterChart(inputs)].compactMap { $0 } + (try Self.e2eCharts(inputs)) + Self.versusCharts(inputs)
    }

    /// The whole report; `charts` names the SVG files that exist, so only those are linked.
    func markdown(charts: Set<String>) -> String {
        var lines = [
            "# Sluice benchmark report", "",
            "Written by `make bench` (`scripts/bench-report.sh`, then `sluice bench report`): every figure below was measured in that one run,"
                + " on the machine described here, and is computed from the raw results in `bench/raw/` (not committed)."
                + " Each section gives the command that reproduces it; `make bench` runs them all in release.", "",
        ]
        lines += machineSection()
        lines += headlineSection()
        lines += limiterSection(charts: charts)
        lines += spoolSection()
        lines += e2eSection(charts: charts)
        lines += versusSection(charts: charts)
        lines += versusAtLimitSection()
        lines += scheduleSection()
        return lines.joined(separator: "\n") + "\n"
    }

    /// `command` as recorded for raw result `name`, in a code span; a note when it was not recorded.
    func command(_ name: String) -> String {
        inputs.commands[name].map { "`\($0)`" } ?? "(command not recorded)"
    }

    static func decimal(_ value: Double, _ places: Int = 2) -> String { String(format: "%.\(places)f", value) }

    static func grouped(_ value: Double) -> String { LimiterBenchReport.grouped(value) }

    /// `25.6 M` for large rates, grouped digits otherwise.
    static func millions(_ value: Double) -> String { value >= 1e6 ? "\(decimal(value / 1e6, 1)) M" : grouped(value) }

    /// The median of `values` (the mean of the middle two for an even count); 0 when empty.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
