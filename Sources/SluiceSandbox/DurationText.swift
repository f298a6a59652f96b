/// Durations as people and providers write them.
enum DurationText {
    /// Parses `"250ms"`, `"2s"`, `"1.5s"`, `"1m"`, `"0"` into nanoseconds; nil if it is not one.
    static func parse(_ text: String) -> UInt64? {
        if text == "0" { return 0 }
        let units: [(String, Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9), ("min", 60e9), ("h", 3_600e9)]
        for (unit, scale) in units.sorted(by: { $0.0.count > $1.0.count }) where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  let value = Double(number), value >= 0, value * scale < 1e18 else { return nil }
            return UInt64((value * scale).rounded())
        }
        return nil
    }

    /// OpenAI's reset format, Go's duration style to the nearest millisecond:
    /// `"20ms"`, `"1s"`, `"1.5s"`, `"6m0s"`, `"1h2m3s"`.
    static func goStyle(_ nanoseconds: UInt64) -> String {
        let milliseconds = (nanoseconds + 500_000) / 1_000_000
        if milliseconds < 1_000 { return "\(milliseconds)ms" }
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds / 60_000 % 60
        let seconds = Double(milliseconds % 60_000) / 1_000
        let secondsText = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        if hours > 0 { return "\(hours)h\(minutes)m\(secondsText)s" }
        if minutes > 0 { return "\(minutes)m\(secondsText)s" }
        return "\(secondsText)s"
    }

    /// A window's width for display: `"1s"`, `"60s"`, `"3600s"`.
    static func seconds(_ nanoseconds: UInt64) -> String {
        nanoseconds % 1_000_000_000 == 0 ? "\(nanoseconds / 1_000_000_000)s" : "\(Double(nanoseconds) / 1e9)s"
    }
}
