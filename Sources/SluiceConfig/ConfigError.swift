/// A configuration that cannot be used. Names the field by its path, the
/// value and the fix: `config: queues.stripe-api.rate: "100/sec" is not a rate; …`.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Dotted path of the field, e.g. `queues.stripe-api.retry.maximumAttempts`.
    public let path: String
    public let message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? "config: \(message)" : "config: \(path): \(message)" }
}
