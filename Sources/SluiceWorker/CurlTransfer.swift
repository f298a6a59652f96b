import SluicePOSIX
import SluiceProviders

/// One request on one libcurl easy handle, its answer read as a stream and
/// held to limits, from inside libcurl's own callbacks (so a limit stops the
/// transfer at once, not after libcurl has inflated what it already has).
///
/// Limits, each ending the transfer with `.oversized`:
/// - the body as delivered (decompressed) past `limit`: the write callback
///   refuses the chunk that would pass it;
/// - the body as it arrived (compressed) past `limit`, or a declared length
///   past it: the progress callback aborts;
/// - the head past `maximumHeaderBytes`: the header callback refuses.
///
/// Requires: used by one thread at a time, for one `perform`.
final class CurlTransfer {
    static let maximumHeaderBytes = 64 << 10

    let limit: Int
    /// True once the attempt was cancelled (shutdown): the transfer aborts.
    let isCancelled: () -> Bool
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    private(set) var body: [UInt8] = []
    /// Why the answer was cut off, once it was.
    private(set) var oversized: String?
    private var headerBytes = 0
    /// Body bytes have arrived: header lines from now on are trailers.
    private var bodyStarted = false

    /// A HEAD request's answer declares the length of a body it does not carry.
    let answersHead: Bool
    /// How long after the request went on the wire the first byte of the
    /// answer must have come (ns); nil: only the request timeout bounds the
    /// wait. Counted from the wire, not the transfer's start: the wait at
    /// the gate is not the provider's.
    let firstByteTimeout: UInt64?
    /// The answer's first byte did not come in time.
    private(set) var noFirstByte = false

    /// The monotonic instant before which the request must not be written
    /// (its granted instant); nil: at once. See `HTTPExecutor.send(_:at:notAfter:stillWanted:rebook:onWire:)`.
    private(set) var gate: UInt64?
    /// The monotonic instant after which the request must not be sent at
    /// the instant it was granted; nil: no bound.
    private(set) var notAfter: UInt64?
    /// Asked at the gate: false withdraws the request unsent (the queue was
    /// paused or held, its rate moved, or shutdown began while it waited there).
    let stillWanted: (@Sendable () -> Bool)?
    /// Asked when the request, its connection ready, is past `notAfter`
    /// (given the instant): a new gate and latest instant to wait for
    /// instead of aborting, or nil to abort.
    let rebook: (@Sendable (UInt64) -> (gate: UInt64, notAfter: UInt64)?)?
    /// Told the instant the request goes on the wire, once.
    let onWire: (@Sendable (UInt64) -> Void)?
    /// When the request went on the wire (its connection ready, the head
    /// about to be written); nil until then.
    private(set) var wentAt: UInt64?
    /// The request was not sent: it would have gone after `notAfter`.
    private(set) var tooLateAt: UInt64?
    /// The request was not sent: at the gate it was no longer wanted.
    private(set) var withdrawnAt: UInt64?

    /// How many new instants one request may book at its gate before it is
    /// aborted as too late (each booking was missed: the host is starved).
    static let mostRebooks = 3

    init(limit: Int, answersHead: Bool = false, firstByteTimeout: UInt64? = nil, gate: UInt64? = nil, notAfter: UInt64? = nil,
         stillWanted: (@Sendable () -> Bool)? = nil, rebook: (@Sendable (UInt64) -> (gate: UInt64, notAfter: UInt64)?)? = nil,
         onWire: (@Sendable (UInt64) -> Void)? = nil, isCancelled: @escaping () -> Bool) {
        self.limit = limit
        self.answersHead = answersHead
        self.firstByteTimeout = firstByteTimeout
        self.gate = gate
        self.notAfter = notAfter
        self.stillWanted = stillWanted
        self.rebook = rebook
        self.onWire = onWire
        self.isCancelled = isCancelled
    }

    /// The request is about to be written (its connection is ready): waits
    /// for the gate, then true to abort instead when it was cancelled, is no
    /// longer wanted, or is later than `notAfter` and could not be booked
    /// again (a start later than promised could stack on the starts booked
    /// after it). Called by libcurl's prerequest callback, after connecting,
    /// so a new connection's handshake counts; the wait is a sleep to an
    /// absolute instant on this pool thread, the last thing before the head
    /// is written, which is what makes starts precise.
    ///
    /// Too late, the request books a new instant and waits for it here,
    /// rather than abort: libcurl closes the connection of an aborted
    /// transfer, so a provider slower to connect to than the lateness
    /// allowed would see every attempt open a connection, be too late, and
    /// abort, for ever. A resend on a fresh connection (libcurl retries a
    /// reused connection the server had closed) is the same request: the
    /// first instant stands.
    func aboutToSend() -> Bool {
        if wentAt != nil { return false }
        var rebooks = 0
        while true {
            var now = MonotonicClock.now()
            if let gate, now < gate {
                MonotonicClock.sleep(until: gate)
                now = MonotonicClock.now()
            }
            if isCancelled() { return true }
            if let stillWanted, !stillWanted() {
                withdrawnAt = now
                return true
            }
            if let latest = notAfter, now > latest {
                if rebooks < Self.mostRebooks, let next = rebook?(now) {
                    rebooks += 1
                    (gate, notAfter) = (next.gate, next.notAfter)
                    continue
                }
                tooLateAt = now
                return true
            }
            wentAt = now
            onWire?(now)
            return false
        }
    }

    /// Body bytes (decoded): kept, or refused (0) once past the limit.
    func receivedBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard oversized == nil else { return 0 }
        guard body.count + bytes.count <= limit else {
            oversized = "more than \(limit) bytes as delivered (decompressed)"
            body = []
            return 0
        }
        bodyStarted = bodyStarted || !bytes.isEmpty
        body.append(contentsOf: bytes)
        return bytes.count
    }

    /// One header line (status line included, CRLF included). Lines after
    /// body bytes are trailers: counted, not read.
    func receivedHeader(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard oversized == nil else { return 0 }
        headerBytes += bytes.count
        guard headerBytes <= Self.maximumHeaderBytes else {
            oversized = "a head over \(Self.maximumHeaderBytes) bytes"
            body = []
            return 0
        }
        guard !bodyStarted else { return bytes.count }
        var line = Array(bytes)
        while let last = line.last, last == 0x0D || last == 0x0A { line.removeLast() }
        if line.starts(with: Array("HTTP/".utf8)) {
            // A new head: an interim 1xx, or the final answer.
            headers = [:]
            let parts = line.split(separator: 0x20, maxSplits: 2)
            status = parts.count >= 2 ? Self.statusCode(parts[1]) : 0
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
            while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
            if headers[name] == nil { headers[name] = String(decoding: value, as: UTF8.self) }
            if name == "content-length", !answersHead, let declared = Int(String(decoding: value, as: UTF8.self)), declared > limit {
                // Refused at the head: not a byte of such a body is read.
                oversized = "declared \(declared) bytes (Content-Length)"
                return 0
            }
        }
        return bytes.count
    }

    /// Three digits, 100…599 (RFC 9110 §15); anything else (a sign, more
    /// digits, a word) is no status: 0, and the answer is refused as not HTTP.
    static func statusCode(_ text: ArraySlice<UInt8>) -> Int {
        guard text.count == 3, text.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return 0 }
        let code = text.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        return (100...599).contains(code) ? code : 0
    }

    /// Progress: `total` declared body bytes (0 when unknown), `now` received
    /// so far on the wire. True to abort.
    func progressed(total: Int64, now: Int64) -> Bool {
        if isCancelled() { return true }
        guard oversized == nil else { return true }
        // libcurl calls this at least once a second even while nothing moves.
        if headerBytes == 0, let firstByteTimeout, let wentAt, MonotonicClock.now() > wentAt &+ firstByteTimeout {
            noFirstByte = true
            return true
        }
        if total > Int64(limit), !answersHead {
            oversized = "declared \(total) bytes (Content-Length)"
        } else if now > Int64(limit) {
            oversized = "more than \(limit) bytes as sent (compressed)"
        } else {
            return false
        }
        body = []
        return true
    }

    /// The outcome, given libcurl's result `code` (0: success) and its words.
    func result(code: Int32, error: @autoclosure () -> String) -> HTTPExecutor.Result {
        if let tooLateAt { return .transportFailure("transport: not sent, too late (\(tooLateAt))") }
        if withdrawnAt != nil { return .transportFailure("transport: not sent, withdrawn at its instant") }
        if let oversized { return .oversized(status: status, headers: headers, what: oversized) }
        if isCancelled() { return .transportFailure("transport: cancelled") }
        if noFirstByte { return .transportFailure("transport: no answer began within the queue's firstByteTimeout") }
        guard code == 0 else { return .transportFailure("transport: \(error())") }
        guard status > 0 else { return .transportFailure("not an HTTP answer") }
        return .answered(ProviderResponse(status: status, headers: headers, body: body))
    }
}
