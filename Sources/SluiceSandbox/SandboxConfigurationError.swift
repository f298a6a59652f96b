/// A sandbox configuration or fault plan that cannot be used as written.
/// Its description names the field, the value and the fix.
public struct SandboxConfigurationError: Error, Equatable, CustomStringConvertible, Sendable {
    public let field: String
    public let value: String
    public let fix: String

    public init(field: String, value: String, fix: String) {
        self.field = field
        self.value = value
        self.fix = fix
    }

    public var description: String { "\(field.isEmpty ? "" : field + ": ")\"\(value)\" is not accepted: \(fix)" }

    /// The same error, under `field`.
    func at(_ field: String) -> SandboxConfigurationError {
        SandboxConfigurationError(field: field, value: value, fix: fix)
    }
}
