/// How much of a request the server will read before refusing it.
///
/// Each limit maps to the status the client gets when it is exceeded, so a
/// client can tell which one it hit.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line (method, target, version), without its CRLF. Over it: 414.
    public var maxRequestLineBytes: Int
    /// Most header fields in one request. Over it: 431.
    public var maxHeaderCount: Int
    /// Most bytes of header lines (CRLFs included, request line excluded). Over it: 431.
    public var maxHeaderBytes: Int
    /// Largest body (Content-Length). Over it: 413, before any of the body is read.
    public var maxBodyBytes: Int

    public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderCount: Int = 100,
                maxHeaderBytes: Int = 32 * 1024, maxBodyBytes: Int = 8 * 1024 * 1024) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// The defaults: 8 KiB request line, 100 fields, 32 KiB of fields, 8 MiB body
    /// (room for a large NDJSON batch of tasks).
    public static let standard = HTTPLimits()
}
