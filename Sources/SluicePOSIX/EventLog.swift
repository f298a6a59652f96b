import Glibc

/// One line per event, in logfmt, to standard error (or wherever tests say):
/// `ts=2026-11-21T21:30:00.123Z level=info component=worker queue=stripe-api event=task.done task=pay-7 status=200`.
///
/// Values are plain strings chosen by the caller; credentials are never
/// passed in (they are `Secret`s, which print as `<redacted>` anyway).
public struct EventLog: Sendable {
    /// How much an event matters, least first. Lines below a log's `minimum`
    /// are not written; warnings and errors always are.
    public enum Level: String, Sendable, Comparable, CaseIterable {
        case debug, info, warn, error

        public static func < (left: Level, right: Level) -> Bool { left.rank < right.rank }

        private var rank: Int {
            switch self {
            case .debug: 0
            case .info: 1
            case .warn: 2
            case .error: 3
            }
        }
    }

    private var context: [(String, String)]
    private let sink: @Sendable (String) -> Void
    /// The least level written (never above `warn`: warnings and errors are always written).
    public let minimum: Level

    public init(component: String, context: [(String, String)] = [], minimum: Level = .info,
                sink: @escaping @Sendable (String) -> Void = { StandardStream.error.line($0) }) {
        self.context = [("component", component)] + context
        self.minimum = min(minimum, .warn)
        self.sink = sink
    }

    /// A log whose lines also carry `fields`.
    public func with(_ fields: [(String, String)]) -> EventLog {
        var copy = self
        copy.context = context + fields
        return copy
    }

    public func debug(_ event: String, _ fields: (String, String)...) { emit(.debug, event, fields) }
    public func info(_ event: String, _ fields: (String, String)...) { emit(.info, event, fields) }
    public func warn(_ event: String, _ fields: (String, String)...) { emit(.warn, event, fields) }
    public func error(_ event: String, _ fields: (String, String)...) { emit(.error, event, fields) }

    private func emit(_ level: Level, _ event: String, _ fields: [(String, String)]) {
        guard level >= minimum else { return }
        let pairs = [("ts", Self.timestamp()), ("level", level.rawValue)] + context + [("event", event)] + fields
        sink(pairs.map { "\($0.0)=\(Self.quoted($0.1))" }.joined(separator: " "))
    }

    /// Quotes a value holding spaces, quotes, `=` or control characters.
    static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0.value != 0x7f }
        if plain { return value }
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped += scalar.value < 0x20 ? "?" : String(scalar)
            }
        }
        return escaped + "\""
    }

    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = spec.tv_nsec / 1_000_000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}
