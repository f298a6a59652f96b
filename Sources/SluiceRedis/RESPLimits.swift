/// How much of one reply a `RESPParser` accepts before refusing it.
///
/// Every length the server announces is checked against these before any
/// memory is set aside for it, so a broken or hostile server costs at most
/// about `maxReplyBytes` of input (and a small multiple of it once parsed).
public struct RESPLimits: Sendable, Equatable {
    /// Longest bulk string, blob error or verbatim string, and longest line
    /// (simple string, error, number). Redis's own `proto-max-bulk-len` is 512 MiB.
    public var maxBulkLength: Int
    /// Deepest nesting of arrays, maps, sets and pushes (a flat array is depth 1).
    public var maxDepth: Int
    /// Most bytes one whole reply may take on the wire: the bulk cap alone does
    /// not bound an array of many bulk strings. An aggregate whose announced
    /// count could not fit (each element takes at least 3 bytes) is refused at once.
    public var maxReplyBytes: Int

    public init(maxBulkLength: Int = 64 << 20, maxDepth: Int = 64, maxReplyBytes: Int = 128 << 20) {
        self.maxBulkLength = max(0, maxBulkLength)
        self.maxDepth = max(1, maxDepth)
        self.maxReplyBytes = max(3, maxReplyBytes)
    }
}
