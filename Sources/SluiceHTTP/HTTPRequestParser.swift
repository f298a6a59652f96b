/// Turns the bytes a client sent into requests, one at a time, incrementally.
///
/// Feed it the connection's unconsumed bytes each time more arrive; it
/// answers `.needMore`, a complete `.request` with how many bytes it took, or
/// an `.error` naming the status to answer with. It never traps and never
/// reads past the limits: every length is checked before it is trusted.
///
/// Requires: between two results other than `.needMore`, each call's buffer
/// starts with the same bytes as the previous call's (more may follow). The
/// parser remembers how far it scanned, so feeding a request in any number of
/// pieces costs O(total bytes). After `.request` or `.error` it is ready for
/// the next request, which starts at the buffer's `consumed` offset.
public struct HTTPRequestParser: Sendable {
    /// The parser's answer for the bytes seen so far.
    public enum Result: Equatable, Sendable {
        /// The request is not complete yet; call again with more bytes.
        case needMore
        /// A whole request; `consumed` bytes from the buffer's start belong to it.
        case request(HTTPRequest, consumed: Int)
        /// The bytes cannot be a request Sluice accepts: answer `status` and close.
        case error(HTTPStatus, reason: String)
    }

    public let limits: HTTPLimits
    /// Offset of the next byte to scan for a line end.
    private var cursor = 0
    /// Offset where the line being scanned starts.
    private var lineStart = 0
    /// The request line, once complete (offsets, CRLF excluded).
    private var requestLine: Range<Int>?
    /// Complete header lines (offsets, CRLF excluded).
    private var headerLines: [Range<Int>] = []
    /// The head, once its blank line arrived; then only the body is awaited.
    private var head: Head?

    /// A parsed head waiting for its body.
    struct Head: Sendable {
        var request: HTTPRequest
        /// Bytes of the head, blank line included: where the body starts.
        var length: Int
        var contentLength: Int
        var expectsContinue: Bool
    }

    public init(limits: HTTPLimits = .standard) {
        self.limits = limits
    }

    /// True when the head is complete, asked for `Expect: 100-continue`, and
    /// the body has not all arrived: the server should send `100 Continue`.
    public var awaitsContinue: Bool { head?.expectsContinue ?? false }

    /// True when some bytes of a request have been seen but it is not complete.
    public var isMidRequest: Bool { cursor > 0 || head != nil }

    /// The request in progress, once its head is complete and while its body
    /// is awaited: the request without its body, and the body's length. What
    /// a server decides on before it reads (and buffers) any body byte.
    public var pendingHead: (request: HTTPRequest, contentLength: Int)? {
        head.map { ($0.request, $0.contentLength) }
    }

    /// Parses as far as `buffer` allows. See the type's requirements.
    public mutating func parse(_ buffer: ArraySlice<UInt8>) -> Result {
        if head == nil, let failure = scanHead(buffer) { return finish(failure) }
        guard let head else { return .needMore }
        let available = buffer.count - head.length
        guard available >= head.contentLength else { return .needMore }
        var request = head.request
        let bodyStart = buffer.startIndex + head.length
        request.body = Array(buffer[bodyStart..<(bodyStart + head.contentLength)])
        return finish(.request(request, consumed: head.length + head.contentLength))
    }

    /// Forgets the request just returned, ready for the next.
    private mutating func finish(_ result: Result) -> Result {
        self = HTTPRequestParser(limits: limits)
        return result
    }

    /// Scans new bytes for line ends; sets `head` once the blank line arrives.
    /// Returns an error result, or nil to go on.
    private mutating func scanHead(_ buffer: ArraySlice<UInt8>) -> Result? {
        let base = buffer.startIndex
        while cursor < buffer.count {
            let byte = buffer[base + cursor]
            cursor += 1
            if byte == UInt8(ascii: "\n") {
                if let result = completeLine(buffer) { return result }
                if head != nil { return nil }
            } else if let failure = checkUnfinishedLine() {
                // Checked at every byte, not once per read, so the answer does
                // not depend on how the bytes were split into reads.
                return failure
            }
        }
        return nil
    }

    /// Handles the line ending at `cursor - 1` (a LF).
    private mutating func completeLine(_ buffer: ArraySlice<UInt8>) -> Result? {
        let base = buffer.startIndex
        let lfAt = cursor - 1
        guard lfAt > lineStart, buffer[base + lfAt - 1] == UInt8(ascii: "\r") else {
            return .error(.badRequest, reason: "a line ends in a bare LF; HTTP lines end in CRLF")
        }
        let line = lineStart..<(lfAt - 1)
        lineStart = cursor
        if requestLine == nil {
            // RFC 9112 §2.2: ignore empty lines before the request line.
            if line.isEmpty { return cursor > limits.maxRequestLineBytes ? .error(.uriTooLong, reason: "too many empty lines before the request") : nil }
            guard line.count <= limits.maxRequestLineBytes else { return requestLineTooLong() }
            requestLine = line
            return nil
        }
        if line.isEmpty { return buildHead(buffer) }
        headerLines.append(line)
        if headerLines.count > limits.maxHeaderCount {
            return .error(.requestHeaderFieldsTooLarge, reason: "more than \(limits.maxHeaderCount) header fields")
        }
        return checkHeaderBytes(upTo: cursor)
    }

    /// Refuses a line that is already too long before its end has arrived.
    private func checkUnfinishedLine() -> Result? {
        if requestLine == nil {
            return cursor - lineStart > limits.maxRequestLineBytes + 1 ? requestLineTooLong() : nil
        }
        return checkHeaderBytes(upTo: cursor)
    }

    private func checkHeaderBytes(upTo end: Int) -> Result? {
        guard let requestLine else { return nil }
        let used = end - (requestLine.upperBound + 2)
        guard used > limits.maxHeaderBytes else { return nil }
        return .error(.requestHeaderFieldsTooLarge, reason: "header fields longer than \(limits.maxHeaderBytes) bytes")
    }

    private func requestLineTooLong() -> Result {
        .error(.uriTooLong, reason: "request line longer than \(limits.maxRequestLineBytes) bytes")
    }

    /// The blank line arrived: parse the request line and fields, check the framing.
    private mutating func buildHead(_ buffer: ArraySlice<UInt8>) -> Result? {
        guard let requestLine else { return .error(.badRequest, reason: "no request line") }
        let base = buffer.startIndex
        let slice = { (range: Range<Int>) in buffer[(base + range.lowerBound)..<(base + range.upperBound)] }
        switch HTTPHeadParser.parse(requestLine: slice(requestLine), headerLines: headerLines.map(slice), limits: limits) {
        case .failure(let failure):
            return .error(failure.status, reason: failure.reason)
        case .success(let parsed):
            head = Head(request: parsed.request, length: cursor, contentLength: parsed.contentLength,
                        expectsContinue: parsed.expectsContinue)
            return nil
        }
    }
}
