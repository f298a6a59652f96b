import SluiceLimiter

/// A provider's limit as it states it: at most `allowed` units (requests or
/// tokens) in any window of `window` nanoseconds, e.g. `"100/min"` is 100 in
/// any 60 s. The sandbox enforces exactly this, over a sliding window, which
/// is also how the fleet's promise is measured.
public struct WindowLimit: Equatable, Sendable, CustomStringConvertible {
    public let allowed: UInt64
    public let window: UInt64
    /// As written in the configuration.
    public let text: String

    public init(allowed: UInt64, window: UInt64, text: String) {
        self.allowed = allowed
        self.window = window
        self.text = text
    }

    /// Parses `COUNT/UNIT` or `COUNT/NUNIT` (a window of N units, as
    /// providers state "3 per 2 seconds": `3/2s`) with whole numbers and a
    /// unit of `Rate.units` (s, min, h, d). The error says what to write instead.
    public init(parsing text: String) throws(SandboxConfigurationError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let fix = "write a whole count per unit, like \"100/min\", \"1/s\" or \"3/2s\" (units: s, min, h, d)"
        guard parts.count == 2 else { throw SandboxConfigurationError(field: "", value: text, fix: fix) }
        let digits = parts[1].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.asciiValue ?? 0) }
        let multiple = digits.isEmpty ? 1 : (digits.count <= 6 ? UInt64(digits) ?? 0 : 0)
        guard multiple > 0, let unit = Rate.units.first(where: { $0.name == parts[1].dropFirst(digits.count) }) else {
            throw SandboxConfigurationError(field: "", value: text, fix: fix)
        }
        // Digits only: `UInt64("+5")` alone would accept a sign (found by fuzzing).
        guard parts[0].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let count = UInt64(parts[0]), count > 0 else {
            throw SandboxConfigurationError(field: "", value: text, fix: "the count must be a whole number ≥ 1, like \"100/min\"")
        }
        let (window, overflow) = unit.nanoseconds.multipliedReportingOverflow(by: multiple)
        guard !overflow else { throw SandboxConfigurationError(field: "", value: text, fix: "the window must be shorter than 500 years") }
        self.init(allowed: count, window: window, text: text)
    }

    public var description: String { text }
}
