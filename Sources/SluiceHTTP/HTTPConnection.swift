/// One client connection's lifecycle, with no I/O in it: bytes, answers and
/// clock ticks go in, the `Action`s the event loop must perform come out.
///
/// Invariants:
/// - at most one request is with the handler at a time, so answers leave in
///   the order requests arrived, pipelined or not;
/// - every state but `handling` has a deadline, so no client can hold a
///   connection open without sending (idle), by sending slowly (reading; the
///   deadline is fixed when the request's first byte arrives), or by not
///   reading its answer (writing);
/// - once an answer carries `Connection: close`, nothing more is read as a request;
/// - a request's head is screened (`Policy.screen`) and its body's length
///   reserved from the server's `HTTPBodyBudget` before it is dispatched, and
///   as soon as the head is complete: a refused request's body is never
///   awaited; the reservation is given back when the request is answered,
///   refused or its connection closed.
struct HTTPConnection {
    enum State: Equatable {
        /// Waiting for the first byte of the next request.
        case idle(deadline: UInt64)
        /// Part of a request arrived; the rest is due by the deadline.
        case reading(deadline: UInt64)
        /// A request is with the handler; nothing is read meanwhile.
        case handling(keepAlive: Bool)
        /// An answer is being written; `keepAlive` says what follows it.
        case writing(deadline: UInt64, keepAlive: Bool)
        /// The last answer is out and the write side shut; input is discarded
        /// until the client closes or the deadline, so the answer is not lost
        /// to a reset caused by unread input.
        case lingering(deadline: UInt64)
        case closed
    }

    /// What the event loop must do, in order.
    enum Action: Equatable {
        /// Hand the request to the handler; call `answered` with its response.
        case dispatch(HTTPRequest)
        /// Write these bytes; call `wroteAll` once all are out.
        case write([UInt8])
        /// Write these bytes now if the socket takes them; nothing waits on it.
        case writeIfPossible([UInt8])
        /// Shut the write side (FIN) and keep reading.
        case shutdownWrite
        /// Close the socket and forget the connection.
        case close
    }

    /// What the client's requests are held to, and the timeouts, in nanoseconds.
    struct Policy {
        var limits: HTTPLimits
        var idleTimeout: UInt64
        var readTimeout: UInt64
        var writeTimeout: UInt64
        var lingerTimeout: UInt64
        /// Decides on each request from its head, before its body is read.
        var screen: HTTPHeadScreen? = nil
        /// Body bytes held across the server's connections; nil: unbounded.
        var bodyBudget: HTTPBodyBudget? = nil
        /// Close after every answer (a connection let in over the cap for probes).
        var closeAfterAnswer = false
    }

    private(set) var state: State
    private(set) var buffer: [UInt8] = []
    /// When the oldest bytes in `buffer` reached the socket (kernel stamp).
    private var bufferReceivedAt: UInt64?
    private var parser: HTTPRequestParser
    private let policy: Policy
    /// The request with the handler: how to frame its answer.
    private var pending: (minorVersion: Int, isHead: Bool)?
    private var sentContinue = false
    /// The server is stopping: answer what is in hand, then close.
    private(set) var draining = false
    /// Whether the last request ended because the client stopped sending.
    private var peerClosed = false
    /// The request in progress passed the screen (its head was complete).
    private var screened = false
    /// Bytes this connection holds of the server's body budget.
    private(set) var heldBudget = 0

    init(policy: Policy, now: UInt64) {
        self.policy = policy
        parser = HTTPRequestParser(limits: policy.limits)
        state = .idle(deadline: now &+ policy.idleTimeout)
    }

    /// The instant by which something must happen, or nil while handling.
    var deadline: UInt64? {
        switch state {
        case .idle(let deadline), .reading(let deadline), .writing(let deadline, _), .lingering(let deadline): deadline
        case .handling, .closed: nil
        }
    }

    /// Whether the loop should read from the socket now.
    var wantsInput: Bool {
        switch state {
        case .idle, .reading, .lingering: true
        case .handling, .writing, .closed: false
        }
    }

    /// Bytes arrived from the client.
    /// `stampedAt`: when the kernel received these bytes, if stamped.
    mutating func received(_ bytes: ArraySlice<UInt8>, now: UInt64, stampedAt: UInt64? = nil) -> [Action] {
        if buffer.isEmpty { bufferReceivedAt = stampedAt }
        switch state {
        case .lingering, .closed:
            return []
        case .idle:
            state = .reading(deadline: now &+ policy.readTimeout)
            buffer.append(contentsOf: bytes)
            return parseBuffered(now: now)
        case .reading:
            buffer.append(contentsOf: bytes)
            return parseBuffered(now: now)
        case .handling, .writing:
            // The loop does not read in these states; keep the bytes for later.
            buffer.append(contentsOf: bytes)
            return []
        }
    }

    /// The client closed its side (read returned 0).
    mutating func receivedEndOfInput(now: UInt64) -> [Action] {
        peerClosed = true
        switch state {
        case .idle, .reading, .lingering:
            // A request cut short gets no answer: the client cannot read one.
            return closeNow()
        case .handling, .writing, .closed:
            return []
        }
    }

    /// The handler answered the request in hand.
    mutating func answered(_ response: HTTPResponse, now: UInt64, date: String?) -> [Action] {
        guard case .handling(let wantsKeepAlive) = state, let pending else { return [] }
        self.pending = nil
        releaseBudget()
        if response.disposition == .dropWithoutAnswer { return closeNow() }
        let keepAlive = wantsKeepAlive && response.disposition == .keepAlive && !draining && !peerClosed && !policy.closeAfterAnswer
        let bytes = response.serialized(keepAlive: keepAlive, minorVersion: pending.minorVersion,
                                        includeBody: !pending.isHead, date: date)
        state = .writing(deadline: now &+ policy.writeTimeout, keepAlive: keepAlive)
        return [.write(bytes)]
    }

    /// Everything the last `.write` held is out.
    mutating func wroteAll(now: UInt64) -> [Action] {
        guard case .writing(_, let keepAlive) = state else { return [] }
        guard keepAlive else { return linger(now: now) }
        state = .idle(deadline: now &+ policy.idleTimeout)
        // Pipelined requests may already be waiting in the buffer.
        return buffer.isEmpty ? [] : received([], now: now)
    }

    /// Time passed; acts on an expired deadline.
    mutating func tick(now: UInt64) -> [Action] {
        guard let deadline, now >= deadline else { return [] }
        switch state {
        case .reading:
            return refuse(.requestTimeout, reason: "the request did not arrive in time", now: now)
        default:
            return closeNow()
        }
    }

    /// The server is stopping: close if idle or done (lingering); otherwise
    /// finish the request in hand and close after its answer.
    mutating func drain(now: UInt64) -> [Action] {
        draining = true
        switch state {
        case .idle, .lingering: return closeNow()
        default: return []
        }
    }

    /// The socket failed or the loop gave up on it.
    mutating func closeNow() -> [Action] {
        releaseBudget()
        state = .closed
        return [.close]
    }

    /// Gives back what this connection holds of the body budget (idempotent).
    mutating func releaseBudget() {
        guard heldBudget > 0 else { return }
        policy.bodyBudget?.release(heldBudget)
        heldBudget = 0
    }

    private mutating func parseBuffered(now: UInt64) -> [Action] {
        switch parser.parse(buffer[...]) {
        case .needMore:
            if buffer.isEmpty { state = .idle(deadline: now &+ policy.idleTimeout) }
            // The head is complete and the body not: decide now, before waiting for (and buffering) the body.
            if !screened, let head = parser.pendingHead, let refusal = admit(head.request, contentLength: head.contentLength, now: now) {
                return refusal
            }
            guard parser.awaitsContinue, !sentContinue else { return [] }
            sentContinue = true
            return [.writeIfPossible(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))]
        case .request(var request, let consumed):
            if !screened, let refusal = admit(request, contentLength: request.body.count, now: now) { return refusal }
            screened = false
            request.receivedAt = bufferReceivedAt
            buffer.removeFirst(consumed)
            sentContinue = false
            pending = (request.minorVersion, request.method == "HEAD")
            state = .handling(keepAlive: request.wantsKeepAlive)
            return [.dispatch(request)]
        case .error(let status, let reason):
            return refuse(status, reason: reason, now: now)
        }
    }

    /// Screens a request by its head and reserves its body's length; the
    /// actions refusing it, or nil when it may go on.
    private mutating func admit(_ head: HTTPRequest, contentLength: Int, now: UInt64) -> [Action]? {
        screened = true
        if let screen = policy.screen, let refusal = screen(head, contentLength) {
            return refuse(refusal, minorVersion: head.minorVersion, isHead: head.method == "HEAD", now: now)
        }
        guard contentLength > 0, let budget = policy.bodyBudget else { return nil }
        guard budget.reserve(contentLength) else {
            let busy = HTTPResponse.text(.serviceUnavailable, "the server holds as many request bodies as it may (\(budget.capacity) bytes); retry shortly",
                                         headers: ["Retry-After": "1"])
            return refuse(busy, minorVersion: head.minorVersion, isHead: false, now: now)
        }
        heldBudget = contentLength
        return nil
    }

    /// Answers a request that cannot be served, then closes.
    private mutating func refuse(_ status: HTTPStatus, reason: String, now: UInt64) -> [Action] {
        refuse(HTTPResponse.text(status, reason), minorVersion: 1, isHead: false, now: now)
    }

    /// Answers `response` instead of serving the request, then closes; the
    /// rest of the request (its body) is never read as a request.
    private mutating func refuse(_ response: HTTPResponse, minorVersion: Int, isHead: Bool, now: UInt64) -> [Action] {
        releaseBudget()
        buffer.removeAll()
        let bytes = response.serialized(keepAlive: false, minorVersion: minorVersion, includeBody: !isHead)
        state = .writing(deadline: now &+ policy.writeTimeout, keepAlive: false)
        return [.write(bytes)]
    }

    private mutating func linger(now: UInt64) -> [Action] {
        if peerClosed || draining { return closeNow() }
        buffer.removeAll()
        state = .lingering(deadline: now &+ policy.lingerTimeout)
        return [.shutdownWrite]
    }
}
