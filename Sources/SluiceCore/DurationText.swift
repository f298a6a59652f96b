/// Durations written as Go writes them: `"30s"`, `"10m"`, `"1m30s"`, `"250ms"`,
/// `"1.5s"`, `"6m0s"`. Config uses them, and so do OpenAI's
/// `x-ratelimit-reset-*` headers, so one parser serves both.
public enum DurationText {
    static let units: [(name: String, nanoseconds: UInt64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
        ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// Nanoseconds, or nil if `text` is not a duration (empty, a sign, an
    /// unknown unit, a bare number, or more than about 292 years).
    public static func nanoseconds(_ text: String) -> UInt64? {
        if text == "0" { return 0 } // Go accepts a bare zero, and so do providers
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        var total: UInt64 = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            rest = rest.dropFirst(unitText.count)
            guard let unit = units.first(where: { $0.name == unitText }),
                  let part = scaled(number, by: unit.nanoseconds) else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(part)
            guard !overflow else { return nil }
            total = sum
        }
        return total
    }

    /// `digits[.digits] × unit`, exactly, rounded down to whole nanoseconds.
    private static func scaled(_ number: Substring, by unit: UInt64) -> UInt64? {
        let pieces = number.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(pieces.count), !pieces[0].isEmpty, pieces.allSatisfy({ $0.allSatisfy(\.isNumber) }),
              pieces.count == 1 || !pieces[1].isEmpty,
              let whole = UInt64(pieces[0]) else { return nil }
        let (integral, overflow) = whole.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        guard pieces.count == 2 else { return integral }
        var fraction: UInt64 = 0
        var scale = unit
        for digit in pieces[1].prefix(18) {
            scale /= 10
            fraction += UInt64(digit.wholeNumberValue ?? 0) * scale
        }
        let (sum, sumOverflow) = integral.addingReportingOverflow(fraction)
        return sumOverflow ? nil : sum
    }

    /// A compact form for messages: `"1.5s"`, `"10m"`, `"250ms"`; it parses
    /// back to exactly `nanoseconds` (integers only: through `Double`, large
    /// values came back changed, found by fuzzing).
    public static func describe(_ nanoseconds: UInt64) -> String {
        for (name, size) in [("h", UInt64(3_600_000_000_000)), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000)]
        where nanoseconds >= size && nanoseconds % (size / 1000) == 0 {
            let thousandths = nanoseconds % size / (size / 1000)
            guard thousandths > 0 else { return "\(nanoseconds / size)\(name)" }
            var fraction = String(thousandths)
            fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            return "\(nanoseconds / size).\(fraction)\(name)"
        }
        return "\(nanoseconds)ns"
    }

    /// Go's own form, to the nearest millisecond, as OpenAI writes its
    /// `x-ratelimit-reset-*` headers: `"20ms"`, `"1s"`, `"1.5s"`, `"6m0s"`, `"1h2m3s"`.
    public static func goStyle(_ nanoseconds: UInt64) -> String {
        let milliseconds = nanoseconds / 1_000_000 + (nanoseconds % 1_000_000 >= 500_000 ? 1 : 0) // no overflow near .max
        if milliseconds < 1_000 { return "\(milliseconds)ms" }
        let hours = milliseconds / 3_600_000
        let minutes = milliseconds / 60_000 % 60
        let seconds = Double(milliseconds % 60_000) / 1_000
        let secondsText = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        if hours > 0 { return "\(hours)h\(minutes)m\(secondsText)s" }
        if minutes > 0 { return "\(minutes)m\(secondsText)s" }
        return "\(secondsText)s"
    }

    /// Whole seconds where exact, for showing a window's width: `"1s"`, `"60s"`.
    public static func seconds(_ nanoseconds: UInt64) -> String {
        nanoseconds % 1_000_000_000 == 0 ? "\(nanoseconds / 1_000_000_000)s" : "\(Double(nanoseconds) / 1e9)s"
    }
}
