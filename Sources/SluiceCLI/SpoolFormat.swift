import SluiceSpool
import SluiceJSON

/// How the spool commands show durations, times, tables and JSON.
enum SpoolFormat {
    /// `4m 10s`, `12s`, `3h 2m`, `2d 4h`, `0.4s`: the two largest units.
    static func duration(_ nanoseconds: UInt64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        if seconds < 10 {
            let tenths = nanoseconds / 100_000_000
            return tenths % 10 == 0 ? "\(seconds)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        let units: [(String, UInt64)] = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        var parts: [String] = []
        var rest = seconds
        for (unit, size) in units where rest >= size || !parts.isEmpty {
            parts.append("\(rest / size)\(unit)")
            rest %= size
            if parts.count == 2 { break }
        }
        return parts.filter { !$0.hasPrefix("0") || parts.count == 1 }.joined(separator: " ")
    }

    /// Seconds with millisecond precision, as a JSON number literal.
    static func seconds(_ nanoseconds: UInt64) -> JSONValue {
        let millis = nanoseconds / 1_000_000
        return .number("\(millis / 1000).\(String(millis % 1000).leftPaddedForSpool(to: 3))")
    }

    static func number(_ value: Int) -> JSONValue { .number(String(value)) }

    /// Rows as aligned columns; the columns in `numeric` are right-aligned.
    /// Every cell is escaped first (`TerminalText`), so a value cannot break
    /// its row or the alignment with a line break, nor send the terminal commands.
    static func table(_ rows: [[String]], numeric: Set<Int>) -> String {
        let rows = rows.map { $0.map { TerminalText.escaped($0) } }
        guard let columns = rows.map(\.count).max() else { return "" }
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return numeric.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    /// When a task is (or was) due, relative to `now`: `due now`, `due in 4m 10s`.
    static func due(_ dueAt: UInt64, now: UInt64) -> String {
        if dueAt > now { return "due in \(duration(dueAt - now))" }
        return now - dueAt < 1_000_000_000 ? "due now" : "due \(duration(now - dueAt)) ago"
    }

    /// The time at the start of a history line (`2025-11-21T09:30:00.250Z …`).
    static func time(ofHistoryLine line: String?) -> String {
        line.map { String($0.prefix { $0 != " " }) } ?? "-"
    }
}

extension String {
    func leftPaddedForSpool(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }

    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
