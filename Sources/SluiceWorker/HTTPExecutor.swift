import CSluiceShim
import Dispatch
import Glibc
import SluicePOSIX
import SluiceProviders
import Synchronization

/// Sends requests with libcurl (see `Curl` for why not URLSession): a pool
/// of `maximumConnections` threads, each with its own easy handle, so each
/// keeps its connections alive and reuses them across tasks.
///
/// Redirects are refused (answered as they are): following one could take a
/// request, credentials included, to a host the queue does not name. Only
/// http and https are spoken.
///
/// Answers are read as a stream and bounded (`CurlTransfer`): the body as
/// delivered (decompressed) and as it arrived (compressed) are each held to
/// `maximumResponseBytes`; past it the transfer is aborted from inside
/// libcurl and the attempt fails with `.oversized`, so a 1,000× gzip answer
/// cannot balloon the worker.
public final class HTTPExecutor: Sendable {
    /// The result of one attempt on the wire.
    public enum Result: Sendable {
        case answered(ProviderResponse)
        /// The answer was larger than the limit, as declared, as it arrived,
        /// or once decompressed: its status (0 if its head was not complete)
        /// and headers, no body. `what` says which, for the task's error.
        case oversized(status: Int, headers: [String: String], what: String)
        /// No answer: connection refused or reset, DNS, TLS, timeout.
        case transportFailure(String)
    }

    /// What became of a request sent with a latest instant.
    public enum Sending: Sendable {
        /// It went on the wire at `onWireAt` (nil: it never did, e.g. the
        /// connection failed) and this is its result.
        case sent(Result, onWireAt: UInt64?)
        /// It was not sent: at `at` it was past its latest instant. Nothing
        /// reached the server.
        case tooLate(at: UInt64)
        /// It was not sent: at its gate it was no longer wanted. Nothing
        /// reached the server.
        case withdrawn
    }

    /// How long before its instant a request is handed over: more than the
    /// wake-up jitter of the hand-over (an async sleep, a pool thread woken),
    /// so the request is at its gate, its connection ready, before the
    /// instant, and the last wait is the pool thread's own sleep to it.
    public static let handOverLead: UInt64 = 5_000_000

    private let curl: Curl
    private let requestTimeout: UInt64
    private let firstByteTimeout: UInt64
    private let maximumResponseBytes: Int
    private let jobs = Mutex<[Job]>([])
    private let waiting = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private let threads = Mutex<[PosixThread]>([])

    /// A request waiting for, or on, a pool thread.
    private final class Job: @unchecked Sendable {
        let request: OutgoingRequest
        let gate: UInt64?
        let notAfter: UInt64?
        let stillWanted: (@Sendable () -> Bool)?
        let rebook: Rebooking?
        let onWire: (@Sendable (UInt64) -> Void)?
        /// Set once, before the job is queued.
        var continuation: CheckedContinuation<Sending, Never>?
        let cancelled = Atomic<Bool>(false)

        init(_ request: OutgoingRequest, gate: UInt64?, notAfter: UInt64?, stillWanted: (@Sendable () -> Bool)?,
             rebook: Rebooking?, onWire: (@Sendable (UInt64) -> Void)?) {
            self.request = request
            self.gate = gate
            self.notAfter = notAfter
            self.stillWanted = stillWanted
            self.rebook = rebook
            self.onWire = onWire
        }
    }

    /// Throws when libcurl cannot be loaded: nothing could be sent.
    /// `firstByteTimeout` bounds the wait for the answer to begin (from the
    /// request on the wire); `requestTimeout` bounds the whole attempt, its
    /// wait at the gate not counted.
    public init(maximumConnections: Int, requestTimeout: UInt64, firstByteTimeout: UInt64? = nil,
                maximumResponseBytes: Int = 4 << 20) throws(CurlUnavailable) {
        curl = try Curl.shared.get()
        self.requestTimeout = requestTimeout
        self.firstByteTimeout = min(firstByteTimeout ?? requestTimeout, requestTimeout)
        self.maximumResponseBytes = max(1, maximumResponseBytes)
        let started = (0..<max(1, maximumConnections)).map { _ in PosixThread.start { [self] in serve() } }
        threads.withLock { $0 = started }
    }

    /// Sends `request`. Cancelling the calling task cancels the request
    /// (libcurl notices within its progress interval, at most a second).
    public func send(_ request: OutgoingRequest) async -> Result {
        switch await send(request, notAfter: nil) {
        case .sent(let result, _): return result
        case .tooLate, .withdrawn: return .transportFailure("transport: not sent")  // no bound, no gate: cannot happen
        }
    }

    /// How a request found too late at its gate books a new instant: `book`
    /// is given the instant it was found late and answers the new gate and
    /// latest instant, or nil (abort it); `within` bounds how far past the
    /// first gate the new ones may lie, and extends the request's timeout
    /// by as much, so waiting at the gate never eats into it.
    public struct Rebooking: Sendable {
        public var within: UInt64
        public var book: @Sendable (UInt64) -> (gate: UInt64, notAfter: UInt64)?

        public init(within: UInt64, book: @escaping @Sendable (UInt64) -> (gate: UInt64, notAfter: UInt64)?) {
            self.within = within
            self.book = book
        }
    }

    /// Sends `request` at the monotonic instant `gate` (nil: at once), unless
    /// `stillWanted` says no at the gate or it would go on the wire after
    /// `notAfter` (then `rebook`, if given, books a new instant to wait for
    /// there, keeping the connection). All is judged the moment its
    /// connection is ready and the gate reached, just before its head is
    /// written: a request promised to start at an instant must not start
    /// much later, or it stacks on the requests booked after it at the
    /// provider. Hand it over `handOverLead` ahead of `gate`: the connection
    /// is reused (or made) meanwhile and the request waits, ready, on its
    /// pool thread. `onWire` is told the instant it goes, on the pool's
    /// thread, before any answer.
    public func send(_ request: OutgoingRequest, at gate: UInt64? = nil, notAfter: UInt64?, stillWanted: (@Sendable () -> Bool)? = nil,
                     rebook: Rebooking? = nil, onWire: (@Sendable (UInt64) -> Void)? = nil) async -> Sending {
        let job = Job(request, gate: gate, notAfter: notAfter, stillWanted: stillWanted, rebook: rebook, onWire: onWire)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                job.continuation = continuation
                jobs.withLock { $0.append(job) }
                waiting.signal()
            }
        } onCancel: {
            job.cancelled.store(true, ordering: .relaxed)
        }
    }

    /// Stops the pool. Requires: no `send` in flight (the worker drains first).
    public func close() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let pool = threads.withLock { $0 }
        for _ in pool { waiting.signal() }
        for thread in pool { thread.join() }
    }

    // MARK: Pool threads

    private func serve() {
        // Gates are timed sleeps: woken when due, not up to 50 µs later.
        _ = sluice_set_timer_slack(1)
        guard let handle = curl.easyInit() else {
            failAll(reason: "curl_easy_init failed")
            return
        }
        defer { curl.easyCleanup(handle) }
        while true {
            waiting.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                if stopping.load(ordering: .acquiring) { return }
                continue
            }
            let sending = job.cancelled.load(ordering: .relaxed)
                ? .sent(.transportFailure("transport: cancelled before sending"), onWireAt: nil)
                : perform(job, on: handle)
            job.continuation?.resume(returning: sending)
        }
    }

    /// A pool thread that has no handle answers every job with why.
    private func failAll(reason: String) {
        while !stopping.load(ordering: .acquiring) {
            waiting.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job.continuation?.resume(returning: .sent(.transportFailure("transport: \(reason)"), onWireAt: nil))
        }
    }

    private func perform(_ job: Job, on handle: Curl.Handle) -> Sending {
        let startedAt = MonotonicClock.now()
        // The wait at the gate is not the request's time: its timeouts run
        // from the gate, and from as far past it as a new instant booked there may lie.
        let gateWait = max(startedAt, job.gate ?? startedAt) - startedAt &+ (job.rebook?.within ?? 0)
        // The progress callback reads the job's cancel flag.
        let transfer = CurlTransfer(limit: maximumResponseBytes, answersHead: job.request.method == "HEAD",
                                    firstByteTimeout: firstByteTimeout < requestTimeout ? firstByteTimeout : nil,
                                    gate: job.gate, notAfter: job.notAfter, stillWanted: job.stillWanted, rebook: job.rebook?.book,
                                    onWire: job.onWire) {
            job.cancelled.load(ordering: .relaxed)
        }
        var errorBuffer = [CChar](repeating: 0, count: Curl.errorBufferSize)
        let context = Unmanaged.passRetained(transfer)
        defer { context.release() }
        curl.easyReset(handle)  // keeps the handle's connections and caches
        var headerList: UnsafeMutableRawPointer?
        defer { curl.slistFreeAll(headerList) }
        for header in job.request.headers + [(name: "Expect", value: "")] {
            // "Expect:" with no value stops libcurl adding Expect: 100-continue.
            headerList = "\(header.name): \(header.value)".withCString { curl.slistAppend(headerList, $0) } ?? headerList
        }
        let code: Int32? = job.request.body.withUnsafeBytes { body in
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                let hooked = configure(handle, job.request, body: body, headers: headerList, gateWait: gateWait,
                                       context: context.toOpaque(), errors: errors.baseAddress)
                // Without the prerequest hook (libcurl before 7.80) the
                // bound is checked here, before connecting: less exact.
                if !hooked, transfer.aboutToSend() { return nil }
                return curl.easyPerform(handle)
            }
        }
        if let at = transfer.tooLateAt { return .tooLate(at: at) }
        if transfer.withdrawnAt != nil { return .withdrawn }
        let result = transfer.result(code: code ?? 0, error: Self.words(errorBuffer) ?? curl.describe(code ?? 0))
        return .sent(result, onWireAt: transfer.wentAt)
    }

    /// Sets up the transfer; true when libcurl took the prerequest hook.
    private func configure(_ handle: Curl.Handle, _ request: OutgoingRequest, body: UnsafeRawBufferPointer,
                           headers: UnsafeMutableRawPointer?, gateWait: UInt64, context: UnsafeMutableRawPointer,
                           errors: UnsafeMutablePointer<CChar>?) -> Bool {
        typealias O = Curl.Option
        curl.set(handle, O.url, string: request.url)
        curl.set(handle, O.noSignal, 1)
        curl.set(handle, O.errorBuffer, pointer: errors)
        curl.set(handle, O.protocols, Curl.protocolHTTP | Curl.protocolHTTPS)
        curl.set(handle, O.redirectProtocols, Curl.protocolHTTP | Curl.protocolHTTPS)
        curl.set(handle, O.followLocation, 0)
        curl.set(handle, O.httpVersion, Curl.httpVersion1_1)
        // Every encoding libcurl can decode is accepted; what it decodes is bounded by the write callback.
        curl.set(handle, O.acceptEncoding, string: "")
        let milliseconds = Int(clamping: requestTimeout / 1_000_000)
        curl.set(handle, O.timeoutMilliseconds, max(1, milliseconds) + Int(clamping: gateWait / 1_000_000) + 1)
        curl.set(handle, O.connectTimeoutMilliseconds, max(1, min(milliseconds, 30_000)))
        curl.set(handle, O.httpHeader, pointer: headers)
        curl.set(handle, O.writeFunction, pointer: unsafeBitCast(curlWrite, to: UnsafeRawPointer.self))
        curl.set(handle, O.writeData, pointer: context)
        curl.set(handle, O.headerFunction, pointer: unsafeBitCast(curlHeader, to: UnsafeRawPointer.self))
        curl.set(handle, O.headerData, pointer: context)
        curl.set(handle, O.noProgress, 0)
        curl.set(handle, O.transferInfoFunction, pointer: unsafeBitCast(curlProgress, to: UnsafeRawPointer.self))
        curl.set(handle, O.transferInfoData, pointer: context)
        let hooked = curl.set(handle, O.prerequestFunction, pointer: unsafeBitCast(curlPrerequest, to: UnsafeRawPointer.self)) == 0
            && curl.set(handle, O.prerequestData, pointer: context) == 0
        switch request.method {
        case "GET" where body.isEmpty: curl.set(handle, O.httpGet, 1)
        case "HEAD": curl.set(handle, O.noBody, 1)
        case "POST": setBody(handle, body)
        default:
            curl.set(handle, O.customRequest, string: request.method)
            if !body.isEmpty { setBody(handle, body) }
        }
        return hooked
    }

    /// Requires: `body` stays valid until the transfer ends (`perform` keeps it).
    private func setBody(_ handle: Curl.Handle, _ body: UnsafeRawBufferPointer) {
        curl.set(handle, Curl.Option.post, 1)
        curl.set(handle, Curl.Option.postFieldSizeLarge, offset: Int64(body.count))
        // A non-null pointer even for an empty body, or libcurl reads from stdin.
        curl.set(handle, Curl.Option.postFields, pointer: body.baseAddress ?? UnsafeRawPointer(bitPattern: 1))
    }

    private static func words(_ buffer: [CChar]) -> String? {
        let text = buffer.withUnsafeBufferPointer { $0.baseAddress.map { String(cString: $0) } ?? "" }
        return text.isEmpty ? nil : text
    }
}

// libcurl's callbacks: plain C functions; the transfer comes in `context`.

private let curlWrite: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receivedBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let curlHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receivedHeader(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let curlProgress: @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, Int64, Int64) -> Int32 = { context, downloadTotal, downloaded, _, _ in
    guard let context else { return 1 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.progressed(total: downloadTotal, now: downloaded) ? 1 : 0
}

/// libcurl's prerequest callback (context, server IP, local IP, ports):
/// 0 sends the request, 1 (`CURL_PREREQFUNC_ABORT`) aborts it unsent.
private let curlPrerequest: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int32, Int32) -> Int32 = { context, _, _, _, _ in
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.aboutToSend() ? 1 : 0
}
