/// Bytes from the server that are not a RESP reply this client accepts.
///
/// After one, the connection's byte stream cannot be trusted (where the next
/// reply starts is unknown), so the connection is closed.
public struct RESPProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// A reply started with a byte that names no RESP type.
        case unknownType(UInt8)
        /// A line or length that does not follow the protocol.
        case malformed
        /// A bulk string (or line) longer than `RESPLimits.maxBulkLength`.
        case bulkTooLong
        /// Aggregates nested deeper than `RESPLimits.maxDepth`.
        case tooDeep
        /// One reply larger than `RESPLimits.maxReplyBytes`.
        case replyTooLarge
    }

    public let kind: Kind
    /// What was wrong, with the limit and the fix where there is one.
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "RESP protocol error: \(detail)" }
}
