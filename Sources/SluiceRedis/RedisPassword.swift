/// The password a connection sends with `AUTH`, resolved by the caller from
/// a credential (never from the URL).
///
/// Prints as `<redacted>` everywhere (interpolation, `dump`, debug
/// descriptions), so it cannot reach a log or an error by accident; only the
/// connection's handshake reads the bytes.
public struct RedisPassword: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let bytes: [UInt8]

    public init(_ password: String) { bytes = Array(password.utf8) }

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}
