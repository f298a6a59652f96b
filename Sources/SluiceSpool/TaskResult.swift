import SluiceJSON

/// The provider's answer kept with a finished task: what the application that
/// queued the work came for (a PaymentIntent id, a completion's text).
///
/// Kept when an attempt is settled done, and with the last answer when a task
/// goes dead; dropped when a dead task is replayed. It is part of the task's
/// record, so it is written, synced and renamed exactly as the record is
/// (see `SpoolQueue.settle`) and is owner-only like every spool file.
///
/// Invariant: nothing here was taken from the request; everything was taken
/// from the answer after the queue's redactor ran over it (the worker builds
/// it, see `ResultCapture`), so no credential the worker sent is stored.
public struct TaskResult: Sendable, Equatable {
    /// The HTTP status of the answer.
    public var status: Int
    /// The headers worth keeping (content type, the providers' request and
    /// object ids), names lowercased.
    public var headers: [String: String]
    /// The answer's body, or as much of it as is kept.
    public var body: Body
    /// The body's size as it arrived (decompressed), in bytes; nil when it
    /// was not read (over the queue's `maxResponseBytes`).
    public var bodyBytes: Int?
    /// True when `body` holds less than the whole answer: cut at the queue's
    /// `resultMaxBytes`, or not read at all (`Body.unread`).
    public var truncated: Bool
    /// The attempt that received this answer (from 1).
    public var attempt: Int
    /// When the answer was settled (wall-clock ns).
    public var receivedAt: UInt64

    /// How a body is kept.
    public enum Body: Sendable, Equatable {
        /// The answer said it was JSON and was whole, valid JSON: kept as JSON,
        /// so a reader gets the provider's document, not a string of it.
        case json(JSONValue)
        /// Other UTF-8 text (no control characters but tab, CR and LF).
        case text(String)
        /// Anything else: the bytes, base64-encoded.
        case base64(String)
        /// The answer was larger than the queue's `maxResponseBytes` and its
        /// body was never read: only status and headers are known.
        case unread

        /// The name stored as `encoding`.
        public var encoding: String {
            switch self {
            case .json: "json"
            case .text: "text"
            case .base64: "base64"
            case .unread: "none"
            }
        }
    }

    /// The most body bytes a queue may keep per answer (`resultMaxBytes`).
    /// Bounds the task file a reader must accept (see `maximumStoredBytes`).
    public static let maximumBodyBytes = 4 << 20
    /// The most headers kept, and the longest value kept of each (longer ones are cut).
    public static let maximumHeaders = 32
    public static let maximumHeaderValueBytes = 1024
    /// The most bytes a stored result takes in a task file: a body of
    /// `maximumBodyBytes` grows at most threefold when written as JSON
    /// (a C1 control inside a JSON string, 2 bytes, is written as a 6-byte
    /// escape; text is at most doubled, base64 adds a third), plus headers.
    public static let maximumStoredBytes = 3 * maximumBodyBytes
        + maximumHeaders * (maximumHeaderValueBytes * 6 + 512) + 4096

    public init(status: Int, headers: [String: String], body: Body, bodyBytes: Int?, truncated: Bool,
                attempt: Int, receivedAt: UInt64) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyBytes = bodyBytes
        self.truncated = truncated
        self.attempt = attempt
        self.receivedAt = receivedAt
    }
}
