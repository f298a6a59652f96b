/// How the sandbox starts: its limits, the credentials it insists on (if
/// any), its faults, and the seed of its identifiers and fault dice.
///
/// JSON form (every field optional; unknown fields are errors):
/// ```json
/// {"limits": {"sendgrid.requests": "100/min", "stripe.requests": "100/s", "openai.requests": "60/min",
///             "openai.tokens": "90000/min", "twilio.per_number": "1/s"},
///  "keys": {"sendgrid": "SG.x", "stripe": "sk_test_x", "openai": "sk-x", "twilio": "AC123:token"},
///  "faults": {"errorRatio": 0.01}, "seed": 1}
/// ```
public struct SandboxConfiguration: Equatable, Sendable {
    /// The enforced limit per name; a name absent (or `"unlimited"`) is not enforced.
    public var limits: [SandboxLimitName: WindowLimit]
    /// Credentials the sandbox requires per provider; absent: any well-formed one is accepted.
    public var keys: [String: String]
    public var faults: FaultPlan
    public var seed: UInt64

    /// The seed's published limits, no required keys, no faults.
    public init() {
        limits = [:]
        for name in SandboxLimitName.allCases {
            limits[name] = try? WindowLimit(parsing: name.defaultLimit)
        }
        keys = [:]
        faults = .none
        seed = 1
    }

    /// Parses the JSON form; the error names the field.
    public init(json bytes: [UInt8]) throws(SandboxConfigurationError) {
        self.init()
        var reader = try SandboxConfigurationReader(parsing: bytes, path: "")
        if var limitsReader = try reader.object("limits") {
            for key in limitsReader.keys {
                guard let name = SandboxLimitName(rawValue: key) else {
                    throw SandboxConfigurationError(field: limitsReader.field(key), value: key,
                                                    fix: "name a limit: " + SandboxLimitName.allCases.map(\.rawValue).joined(separator: ", "))
                }
                guard let text = try limitsReader.string(key) else { continue }
                if text == "unlimited" {
                    limits[name] = nil
                    continue
                }
                do { limits[name] = try WindowLimit(parsing: text) } catch { throw error.at(limitsReader.field(key)) }
            }
        }
        if var keysReader = try reader.object("keys") {
            for provider in ["sendgrid", "stripe", "openai", "twilio"] {
                if let key = try keysReader.string(provider) { keys[provider] = key }
            }
            try keysReader.finish()
        }
        if let faultsReader = try reader.object("faults") { faults = try FaultPlan(reading: faultsReader) }
        if let seed = try reader.integer("seed", in: 0...Int(Int32.max)) { self.seed = UInt64(seed) }
        try reader.finish()
    }
}
