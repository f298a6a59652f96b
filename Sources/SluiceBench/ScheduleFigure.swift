import Foundation

/// One figure of a `bench schedule` scenario: its value in each run, and the
/// one reported for them all. A value may be missing (nil, JSON null): a rate
/// that was not back within the run. For a median, a missing value counts as
/// the worst (longer than any), so one run that never recovered is not hidden.
public struct ScheduleFigure: Encodable, Sendable {
    public enum Combined: String, Encodable, Sendable {
        /// The middle run (times, rates, ratios).
        case median
        /// The worst run (busiest windows).
        case max
        /// Every run's together (429s).
        case sum
    }

    public var key: String
    public var label: String
    /// "/s", "s", "%", "µs", "×" or "" (a count).
    public var unit: String
    public var places: Int
    public var combined: Combined
    public var runs: [Double?]

    public var value: Double? {
        switch combined {
        case .median:
            let middle = BenchReport.median(runs.map { $0 ?? .infinity })
            return middle.isFinite ? middle : nil
        case .max:
            return runs.compactMap { $0 }.max()
        case .sum:
            return runs.compactMap { $0 }.reduce(0, +)
        }
    }

    enum CodingKeys: String, CodingKey { case key, label, unit, places, combined, runs, value }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(label, forKey: .label)
        try container.encode(unit, forKey: .unit)
        try container.encode(places, forKey: .places)
        try container.encode(combined, forKey: .combined)
        try container.encode(runs, forKey: .runs)
        try container.encode(value, forKey: .value)
    }

    /// `value` with its unit, as the text and the report print it; nil reads "not within the run".
    public static func format(_ value: Double?, unit: String, places: Int) -> String {
        guard let value else { return "not within the run" }
        let number = places == 0 && value >= 1000 && value.isFinite ? LimiterBenchReport.grouped(value) : String(format: "%.\(places)f", value)
        switch unit {
        case "": return number
        case "/s", "%", "×": return number + unit
        default: return number + " " + unit
        }
    }
}

/// One run of one scenario: its figures (one value each) and what went wrong.
struct ScheduleRun {
    private(set) var figures: [ScheduleFigure] = []
    /// Correctness failures: a 429, a window over the limit, a task lost or
    /// dead, a fleet that did not stop cleanly. Any makes the bench exit 1.
    var problems: [String] = []

    mutating func record(_ key: String, _ label: String, unit: String, places: Int = 2, combined: ScheduleFigure.Combined = .median,
                         _ value: Double?) {
        figures.append(ScheduleFigure(key: key, label: label, unit: unit, places: places, combined: combined, runs: [value]))
    }

    /// The run's value of `key`; nil if absent or missing.
    func value(_ key: String) -> Double? { figures.first { $0.key == key }?.runs.first ?? nil }

    /// Several runs' figures side by side, in the first run's order.
    static func combining(_ runs: [ScheduleRun]) -> [ScheduleFigure] {
        guard let first = runs.first else { return [] }
        return first.figures.map { figure in
            var combined = figure
            combined.runs = runs.map { run in run.figures.first { $0.key == figure.key }?.runs.first ?? nil }
            return combined
        }
    }
}
