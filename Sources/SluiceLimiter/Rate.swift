/// A rate written the way people say it: `"1.5/s"`, `"100/min"`, `"90000/min"`, `"2/h"`.
///
/// Parsed exactly (decimal digits, no floating point) into the emission
/// interval in nanoseconds, rounded *up* so the enforced rate is never above
/// the one written.
public struct Rate: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds between two unit-cost requests. Zero means unlimited.
    public let interval: UInt64
    /// The text it was parsed from (or a canonical form), for messages.
    public let text: String
    /// The rate exactly as written: `count / 10^scale` per `per` nanoseconds.
    /// The interval is rounded; promises are stated against this.
    let count: UInt64
    let scale: Int
    let per: UInt64

    /// The units a rate may be written in, with their length in nanoseconds.
    public static let units: [(name: String, nanoseconds: UInt64)] = [
        ("s", 1_000_000_000), ("min", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
    ]

    /// No limit.
    public static let unlimited = Rate(interval: 0, text: "unlimited", count: 0, scale: 0, per: 1)

    /// The fastest rate Sluice enforces: one per nanosecond.
    public static let maximumPerSecond: UInt64 = 1_000_000_000

    private init(interval: UInt64, text: String, count: UInt64, scale: Int, per: UInt64) {
        self.interval = interval
        self.text = text
        self.count = count
        self.scale = scale
        self.per = per
    }

    /// A rate from its interval in nanoseconds (> 0): one per `interval`.
    public init(interval: UInt64) {
        precondition(interval > 0, "use Rate.unlimited for no limit")
        self.init(interval: interval, text: "\(1e9 / Double(interval))/s", count: 1, scale: 0, per: interval)
    }

    /// The most starts the promise allows in any window of `width` ns:
    /// `floor(rate·width) + burst`, with the rate exactly as written.
    public func allowedStarts(inWindow width: UInt64, burst: UInt64) -> Int {
        guard interval > 0 else { return .max }
        var power: UInt128 = 1
        for _ in 0..<scale { power *= 10 }
        let starts = UInt128(width) * UInt128(count) / (power * UInt128(per))
        return Int(min(starts + UInt128(burst), UInt128(Int.max)))
    }

    /// Parses `text`; the error names the value and how to write it.
    public init(parsing text: String) throws(RateError) {
        if text == "unlimited" {
            self = .unlimited
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw RateError(text, "it needs a count and a unit, like \"100/s\" or \"6000/min\"") }
        guard let unit = Self.units.first(where: { $0.name == parts[1] }) else {
            throw RateError(text, "\"\(parts[1])\" is not a unit; write \"100/s\" or \"6000/min\" (units: s, min, h, d)")
        }
        guard let (mantissa, scale) = Self.decimal(parts[0]) else {
            throw RateError(text, "\"\(parts[0])\" is not a positive decimal number, like 100 or 1.5")
        }
        guard mantissa > 0 else { throw RateError(text, "a rate must be greater than zero; to pause a queue, use pause") }
        // interval = ceil(unit × 10^scale / mantissa), computed exactly.
        var power: UInt128 = 1
        for _ in 0..<scale { power *= 10 }
        let numerator = UInt128(unit.nanoseconds) * power
        let interval = (numerator + UInt128(mantissa) - 1) / UInt128(mantissa)
        guard numerator / UInt128(mantissa) >= 1 else {
            throw RateError(text, "it is faster than one per nanosecond (the most is \(Self.maximumPerSecond)/s)")
        }
        guard interval <= UInt128(UInt64.max / 2) else { throw RateError(text, "it is too slow to represent") }
        self.init(interval: UInt64(interval), text: text, count: mantissa, scale: scale, per: unit.nanoseconds)
    }

    /// Requests per second, for display only (never for decisions).
    /// The unit the rate was written per, in ns (`20/s`: a second; `500/min`:
    /// a minute): the window its number is counted in.
    public var period: UInt64 { per }

    public var perSecond: Double { interval == 0 ? .infinity : 1e9 / Double(interval) }

    public var description: String { text }

    /// Parses `digits[.digits]` into (mantissa, number of fraction digits).
    /// Refuses signs, exponents, `nan`, `inf`, empty parts and more than 18 digits.
    private static func decimal(_ text: Substring) -> (UInt64, Int)? {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(pieces.count),
              pieces.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        let digits = pieces.joined()
        guard digits.count <= 18, let mantissa = UInt64(digits) else { return nil }
        return (mantissa, pieces.count == 2 ? pieces[1].count : 0)
    }
}

/// A rate string that is not a rate. Its description names the value and the fix.
public struct RateError: Error, Equatable, CustomStringConvertible, Sendable {
    public let value: String
    public let reason: String

    init(_ value: String, _ reason: String) {
        self.value = value
        self.reason = reason
    }

    public var description: String { "\"\(value)\" is not a rate: \(reason)" }
}
