import Foundation
import SluiceJSON

/// The raw results `make bench` leaves in `bench/raw/` (scripts/bench-report.sh
/// writes them), read once. Layout:
///
///     machine.tsv                      key TAB value: nproc, cpu, kernel, swift, date, …
///     commands.tsv                     name TAB the command that produced raw/<name>.*
///     limiter-<mode>-p<N>.json         sluice bench limiter --json (mode: unpaced, paced, bare)
///     limiter-paced-slow.json          the slow paced run
///     spool.txt                        sluice bench spool (its text report)
///     e2e.json, e2e-arrivals-run<K>.json   sluice bench e2e --json --arrivals-dir
///     versus/<contender>-run<K>.json   bench/versus/driver.py, one per leg
///     versus/decision-cost.json        each Python limiter's cost per decision
///     at-limit/versus/<contender>-run<K>.json   the same contenders at exactly the provider's number
///     schedule.json                    sluice bench schedule --json
///
/// A missing file leaves its section out, saying so; a file that does not parse is an error.
public struct BenchReportInputs: Sendable {
    public var machine: [(key: String, value: String)] = []
    public var commands: [String: String] = [:]
    public var limiter: [String: JSONObject] = [:]
    public var spoolText: String?
    public var e2e: JSONObject?
    public var e2eArrivals: JSONObject?
    public var versus: [VersusRun] = []
    /// The side-by-side configured at exactly the provider's number (issue 12).
    public var versusAtLimit: [VersusRun] = []
    public var decisionCost: JSONObject?
    public var schedule: JSONObject?

    public init() {}

    public init(directory: String) throws {
        machine = try Self.table(at: "\(directory)/machine.tsv")
        commands = Dictionary(try Self.table(at: "\(directory)/commands.tsv"), uniquingKeysWith: { _, last in last })
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix("limiter-") && name.hasSuffix(".json") {
            limiter[String(name.dropLast(5))] = try Self.object(at: "\(directory)/\(name)")
        }
        spoolText = try? String(contentsOfFile: "\(directory)/spool.txt", encoding: .utf8)
        e2e = try Self.optionalObject(at: "\(directory)/e2e.json")
        e2eArrivals = try Self.optionalObject(at: "\(directory)/e2e-arrivals-run1.json")
        let versusDirectory = "\(directory)/versus"
        versus = try Self.versusRuns(in: versusDirectory)
        versusAtLimit = try Self.versusRuns(in: "\(directory)/at-limit/versus")
        decisionCost = try Self.optionalObject(at: "\(versusDirectory)/decision-cost.json")
        schedule = try Self.optionalObject(at: "\(directory)/schedule.json")
    }

    /// Every `<contender>-run<K>.json` leg in `directory`, by name; none if it is missing.
    static func versusRuns(in directory: String) throws -> [VersusRun] {
        try ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            .filter { $0.hasSuffix(".json") && $0.contains("-run") }
            .map { try VersusRun(json: try Self.object(at: "\(directory)/\($0)"), file: $0) }
    }

    /// `key TAB value` lines, in order; a missing file is empty.
    static func table(at path: String) throws -> [(key: String, value: String)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            guard let tab = line.firstIndex(of: "\t") else { throw BenchError("\(path): \"\(line)\" is not KEY<TAB>VALUE") }
            return (String(line[..<tab]), String(line[line.index(after: tab)...]))
        }
    }

    static func object(at path: String) throws -> JSONObject {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("\(path): cannot be read") }
        do {
            guard case .object(let object) = try JSONParser.parse(Array(data)) else { throw BenchError("\(path): not a JSON object") }
            return object
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("\(path): \(error)")
        }
    }

    static func optionalObject(at path: String) throws -> JSONObject? {
        FileManager.default.fileExists(atPath: path) ? try object(at: path) : nil
    }
}

/// One leg of the side-by-side: a contender draining the backlog once.
public struct VersusRun: Sendable {
    public let contender: String
    public let run: Int
    public let tasks: Int
    public let processes: Int
    public let configuredRate: Double
    public let sandboxLimit: String
    public let settings: String
    public let drained: Bool
    public let workerCPUSeconds: Double
    public let allowed: Int
    /// The sandbox limit's window, µs.
    public let window: UInt64
    public let timeline: StartTimeline
    public let versions: JSONObject?

    init(json: JSONObject, file: String) throws {
        func field<T>(_ path: String..., as read: (JSONObject, [String]) -> T?) throws -> T {
            guard let value = read(json, path) else { throw BenchError("versus/\(file): \(path.joined(separator: ".")) is missing or of the wrong type") }
            return value
        }
        contender = try field("contender", as: { $0.string(at: $1) })
        run = try field("run", as: { $0.integer(at: $1) })
        tasks = try field("tasks", as: { $0.integer(at: $1) })
        processes = try field("processes", as: { $0.integer(at: $1) })
        configuredRate = try field("configuredRatePerSecond", as: { $0.double(at: $1) })
        sandboxLimit = try field("sandboxLimit", as: { $0.string(at: $1) })
        settings = try field("settings", as: { $0.string(at: $1) })
        drained = try field("drained", as: { $0.bool(at: $1) })
        workerCPUSeconds = try field("workerCPUSeconds", as: { $0.double(at: $1) })
        allowed = try field("limit", "allowed", as: { $0.integer(at: $1) })
        let windowText = try field("limit", "window", as: { $0.string(at: $1) })
        guard windowText.hasSuffix("s"), let seconds = Double(windowText.dropLast()), seconds > 0 else {
            throw BenchError("versus/\(file): limit.window \"\(windowText)\" is not a number of seconds like \"1s\"")
        }
        window = UInt64(seconds * 1e6)
        guard case .object(let arrivals)? = json["arrivals"] else { throw BenchError("versus/\(file): arrivals is missing") }
        timeline = try StartTimeline(json: arrivals)
        if case .object(let versions)? = json["versions"] { self.versions = versions } else { versions = nil }
    }
}

extension JSONObject {
    /// The value at `path` (object keys), if every step is there.
    func value(at path: [String]) -> JSONValue? {
        guard let first = path.first, let value = self[first] else { return nil }
        if path.count == 1 { return value }
        guard case .object(let inner) = value else { return nil }
        return inner.value(at: Array(path.dropFirst()))
    }

    func double(at path: [String]) -> Double? {
        guard case .number(let text)? = value(at: path) else { return nil }
        return Double(text)
    }

    func double(_ path: String...) -> Double? { double(at: path) }

    func string(at path: [String]) -> String? {
        guard case .string(let text)? = value(at: path) else { return nil }
        return text
    }

    func bool(at path: [String]) -> Bool? {
        guard case .bool(let flag)? = value(at: path) else { return nil }
        return flag
    }

    func objects(_ path: String...) -> [JSONObject] {
        guard case .array(let values)? = value(at: path) else { return [] }
        return values.compactMap { if case .object(let object) = $0 { object } else { nil } }
    }
}
