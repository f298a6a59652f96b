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

    /// Parses `COUNT/UNIT` with a whole count and a unit of `Rate.units`
    /// (s, min, h, d). The error says what to write instead.
    public init(parsing text: String) throws(SandboxConfigurationError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let unit = Rate.units.first(where: { $0.name == parts[1] }) else {
            throw SandboxConfigurationError(field: "", value: text, fix: "write a whole count per unit, like \"100/min\" or \"1/s\" (units: s, min, h, d)")
        }
        // Digits only: `UInt64("+5")` alone would accept a sign (found by fuzzing).
        guard parts[0].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let count = UInt64(parts[0]), count > 0 else {
            throw SandboxConfigurationError(field: "", value: text, fix: "the count must be a whole number ≥ 1, like \"100/min\"")
        }
        self.init(allowed: count, window: unit.nanoseconds, text: text)
    }

    public var description: String { text }
}
