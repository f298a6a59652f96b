import Glibc
import SluiceConfig
import SluiceJSON
import SluiceLimiter
import SluicePOSIX

/// Changes an operator made to a queue at runtime (rate, pause, process
/// count), kept in `<spool root>/<queue>/overrides.json` so they survive a
/// restart of the fleet.
///
/// Each override records the configured value it replaced. At start an
/// override applies only while the configuration still says that value: if
/// someone edited the configuration since, the edit is the newer decision
/// and the override is dropped (and the supervisor says so).
public struct RuntimeOverrides: Equatable, Sendable {
    public typealias RateOverride = RuntimeRate

    public struct ProcessesOverride: Equatable, Sendable {
        public var processes: Int
        public var replaced: Int

        public init(processes: Int, replaced: Int) {
            self.processes = processes
            self.replaced = replaced
        }
    }

    public var rate: RateOverride?
    public var paused: Bool?
    public var processes: ProcessesOverride?

    public init() {}

    public static func path(root: String, queue: String) -> String { "\(root)/\(queue)/overrides.json" }

    /// The overrides stored for `queue`; none if no file exists.
    public static func load(root: String, queue: String) throws(ControlError) -> RuntimeOverrides {
        let path = path(root: root, queue: queue)
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path, limit: 64 << 10)
        } catch {
            if error.errno == ENOENT { return RuntimeOverrides() }
            throw .storage("cannot read \(path): \(error)")
        }
        do {
            return try parse(bytes)
        } catch {
            throw .storage("\(path) is damaged (\(error)); fix or delete it (the configuration then applies)")
        }
    }

    /// Writes the overrides durably (the queue's spool directory must exist).
    public func save(root: String, queue: String) throws(ControlError) {
        let path = Self.path(root: root, queue: queue)
        do {
            try FileContents.replace(path, with: JSONWriter.bytes(json) + [0x0A])
        } catch {
            throw .storage("cannot save runtime changes to \(path): \(error)")
        }
    }

    /// The overrides that still apply to `queue` as configured now, and a
    /// sentence for each one dropped because the configuration changed.
    public func applicable(to queue: QueueConfig) -> (RuntimeOverrides, dropped: [String]) {
        var kept = self
        var dropped: [String] = []
        if let rate, rate.replacedRate != queue.rate.text || rate.replacedBurst != queue.burst {
            dropped.append("rate \(rate.rate.text) burst \(rate.burst) (set at runtime over \(rate.replacedRate) burst \(rate.replacedBurst); the configuration now says \(queue.rate.text) burst \(queue.burst))")
            kept.rate = nil
        }
        if let processes, processes.replaced != queue.processes {
            dropped.append("processes \(processes.processes) (set at runtime over \(processes.replaced); the configuration now says \(queue.processes))")
            kept.processes = nil
        }
        return (kept, dropped)
    }

    /// `limits` with these overrides applied.
    public func applied(to limits: QueueLimits) -> QueueLimits {
        var limits = limits
        if let rate { limits.rate = GCRA.Limit(rate: rate.rate, burst: rate.burst) }
        if let paused { limits.paused = paused }
        return limits
    }

    var json: JSONValue {
        var pairs: [(String, JSONValue)] = []
        if let rate {
            pairs.append(("rate", .object([
                ("rate", .string(rate.rate.text)), ("burst", .integer(Int(rate.burst))),
                ("replacedRate", .string(rate.replacedRate)), ("replacedBurst", .integer(Int(rate.replacedBurst))),
            ])))
        }
        if let paused { pairs.append(("paused", .bool(paused))) }
        if let processes {
            pairs.append(("processes", .object([
                ("processes", .integer(processes.processes)), ("replaced", .integer(processes.replaced)),
            ])))
        }
        return .object(pairs)
    }

    static func parse(_ bytes: [UInt8]) throws(ControlError) -> RuntimeOverrides {
        guard case .object(let object)? = try? JSONParser.parse(bytes) else { throw .badRequest("not a JSON object") }
        var overrides = RuntimeOverrides()
        if case .object(let rate)? = object["rate"] {
            guard case .string(let text)? = rate["rate"], let parsed = try? Rate(parsing: text),
                  let burst = rate.integer(at: "burst"), (1...1_000_000).contains(burst),
                  case .string(let replacedRate)? = rate["replacedRate"], let replacedBurst = rate.integer(at: "replacedBurst"),
                  replacedBurst >= 1
            else { throw .badRequest("\"rate\" is incomplete or out of range") }
            overrides.rate = RateOverride(rate: parsed, burst: UInt64(burst), replacedRate: replacedRate, replacedBurst: UInt64(replacedBurst))
        }
        if case .bool(let paused)? = object["paused"] { overrides.paused = paused }
        if case .object(let processes)? = object["processes"] {
            guard let count = processes.integer(at: "processes"), let replaced = processes.integer(at: "replaced"),
                  (0...256).contains(count), replaced >= 0 else {
                throw .badRequest("\"processes\" is incomplete or out of range (0…256)")
            }
            overrides.processes = ProcessesOverride(processes: count, replaced: replaced)
        }
        return overrides
    }
}
