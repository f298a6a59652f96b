import Glibc
import SluicePOSIX
import Synchronization

/// The event loop: one thread, one epoll instance, every connection of one
/// server. It reads, parses, writes and keeps time; handlers run as Swift
/// tasks and post their answers back through `LoopInbox`.
///
/// Everything here except `inbox` is touched only by the loop thread.
final class HTTPServerLoop: @unchecked Sendable {
    private static let listenerToken: UInt64 = 0
    private static let wakeToken: UInt64 = 1

    private let listener: Int32
    private let epoll: Epoll
    let inbox: LoopInbox
    private let handler: HTTPHandler
    private let policy: HTTPConnection.Policy
    /// Requests carry the kernel's receive instant (`HTTPServerConfiguration.stampsArrivals`).
    private let stampsArrivals: Bool
    /// For connections let in over the cap: priority paths only, then close.
    private let priorityPolicy: HTTPConnection.Policy
    private let bodyBudget: HTTPBodyBudget
    private let maxConnections: Int
    private let maxPriorityConnections: Int
    private let closesIdleAtCap: Bool
    private var priorityOpen = 0
    /// Normal connections waiting for a request: the oldest yields at the cap.
    private var idle = IdleConnections()
    private let gracePeriod: UInt64
    private let counters: HTTPServerCounters
    private let executor = HandlerExecutor(label: "sluice.http.handlers")
    private var connections: [UInt64: ConnectionRecord] = [:]
    private var nextToken: UInt64 = 2
    private var nextSweep: UInt64 = 0
    private var acceptPausedUntil: UInt64?
    private var stopDeadline: UInt64?
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var dateCache: (second: Int, text: String) = (-1, "")

    /// A connection's socket, its state machine, and any answer bytes not yet written.
    final class ConnectionRecord {
        let fd: Int32
        var machine: HTTPConnection
        var output: [UInt8] = []
        var outputOffset = 0
        var interest: UInt32
        /// Let in over the cap, for priority paths only.
        let priority: Bool
        let acceptedAt: UInt64

        init(fd: Int32, machine: HTTPConnection, interest: UInt32, priority: Bool, acceptedAt: UInt64) {
            self.fd = fd
            self.machine = machine
            self.interest = interest
            self.priority = priority
            self.acceptedAt = acceptedAt
        }

        /// Waiting for a request, with nothing of one received.
        var isIdle: Bool { if case .idle = machine.state { true } else { false } }
        /// Not yet past its request's head: may be closed for a newer one.
        var hasNoRequestInHand: Bool {
            switch machine.state {
            case .idle, .reading: true
            default: false
            }
        }
    }

    init(listener: Int32, configuration: HTTPServerConfiguration, screen: HTTPHeadScreen?, handler: @escaping HTTPHandler,
         counters: HTTPServerCounters) throws(SystemError) {
        self.listener = listener
        self.handler = handler
        self.counters = counters
        epoll = try Epoll()
        inbox = LoopInbox(wake: try WakeSignal())
        bodyBudget = HTTPBodyBudget(capacity: configuration.maxBufferedBodyBytes)
        var policy = HTTPConnection.Policy(limits: configuration.limits, idleTimeout: configuration.idleTimeout.nanoseconds,
                                           readTimeout: configuration.readTimeout.nanoseconds,
                                           writeTimeout: configuration.writeTimeout.nanoseconds,
                                           lingerTimeout: min(configuration.readTimeout.nanoseconds, 2_000_000_000),
                                           screen: screen, bodyBudget: bodyBudget)
        self.policy = policy
        policy.screen = Self.priorityScreen(paths: configuration.priorityPaths, then: screen)
        policy.closeAfterAnswer = true
        policy.idleTimeout = min(policy.idleTimeout, 2_000_000_000)
        policy.readTimeout = min(policy.readTimeout, 2_000_000_000)
        priorityPolicy = policy
        maxConnections = configuration.maxConnections
        maxPriorityConnections = configuration.priorityConnections
        closesIdleAtCap = configuration.closesIdleAtCap
        stampsArrivals = configuration.stampsArrivals
        // On the listener too: the kernel stamps packets only once some
        // socket asked, and a connection's first bytes may come before accept.
        if stampsArrivals { ListeningSocket.enableArrivalStamps(listener) }
        gracePeriod = configuration.shutdownGracePeriod.nanoseconds
        try epoll.add(listener, events: Epoll.input, token: Self.listenerToken)
        try epoll.add(inbox.wake.fd, events: Epoll.input, token: Self.wakeToken)
    }

    /// Over the cap, only a body-less GET or HEAD of a priority path goes on
    /// (to `then`, the server's own screen); anything else is the cap's 503.
    private static func priorityScreen(paths: Set<String>, then screen: HTTPHeadScreen?) -> HTTPHeadScreen {
        { head, contentLength in
            guard paths.contains(head.path), head.method == "GET" || head.method == "HEAD", contentLength == 0 else {
                return HTTPResponse.text(.serviceUnavailable, "too many open connections; retry shortly", headers: ["Retry-After": "1"])
            }
            return screen?(head, contentLength)
        }
    }

    /// Runs until `stop` has been posted and every connection is closed (or
    /// the grace period is over). Closes the listener and every socket it opened.
    func run() {
        while true {
            let now = MonotonicClock.now()
            if let deadline = stopDeadline, connections.isEmpty || now >= deadline { break }
            for event in epoll.wait(timeoutMilliseconds: waitTimeout(now: now)) {
                switch event.token {
                case Self.listenerToken: acceptWaiting()
                case Self.wakeToken: readInbox()
                default: serviceConnection(token: event.token, events: event.events)
                }
            }
            sweepDeadlines()
        }
        for token in Array(connections.keys) { closeConnection(token) }
        closeListener()
    }

    private var listenerOpen = true

    private func waitTimeout(now: UInt64) -> Int32 {
        var wake = nextSweep
        if let deadline = stopDeadline { wake = min(wake, deadline) }
        guard wake > now else { return 0 }
        return Int32(min((wake - now + 999_999) / 1_000_000, 1_000))
    }

    // MARK: accepting

    private func acceptWaiting() {
        for _ in 0..<128 {
            guard let result = ListeningSocket.accept(listener) else { return }
            switch result {
            case .success(let fd):
                admit(fd)
            case .failure:
                // Out of descriptors (EMFILE/ENFILE) or memory: level-triggered epoll
                // would spin on the still-pending connection, so pause accepting briefly.
                pauseAccepting()
                return
            }
        }
    }

    /// At the cap, the oldest idle connection makes room; else a priority
    /// place (probes), whose oldest occupant with no request in hand makes
    /// room when all are taken, the newest connection winning; else 503.
    private func admit(_ fd: Int32) {
        if connections.count - priorityOpen < maxConnections {
            return register(fd, priority: false)
        }
        if closesIdleAtCap, let oldest = idle.removeOldest() {
            closeConnection(oldest)
            counters.evicted.add(1, ordering: .relaxed)
            return register(fd, priority: false)
        }
        guard maxPriorityConnections > 0 else { return refuse(fd) }
        if priorityOpen >= maxPriorityConnections {
            let waiting = connections.filter { $0.value.priority && $0.value.hasNoRequestInHand }
            guard let oldest = waiting.min(by: { $0.value.acceptedAt < $1.value.acceptedAt })?.key else { return refuse(fd) }
            closeConnection(oldest)
            counters.evicted.add(1, ordering: .relaxed)
        }
        register(fd, priority: true)
    }

    private func register(_ fd: Int32, priority: Bool) {
        if stampsArrivals { ListeningSocket.enableArrivalStamps(fd) }
        let now = MonotonicClock.now()
        let token = nextToken
        nextToken += 1
        let machine = HTTPConnection(policy: priority ? priorityPolicy : policy, now: now)
        let record = ConnectionRecord(fd: fd, machine: machine, interest: Epoll.input, priority: priority, acceptedAt: now)
        do {
            try epoll.add(fd, events: record.interest, token: token)
        } catch {
            close(fd)
            return
        }
        connections[token] = record
        if !priority { idle.noteIdle(token) }
        if priority {
            priorityOpen += 1
            counters.priority.add(1, ordering: .relaxed)
        }
        counters.connectionOpened()
        noteDeadline(record)
    }

    /// Over the cap: one write of a 503 (best effort), then close.
    private func refuse(_ fd: Int32) {
        let answer = HTTPResponse.text(.serviceUnavailable, "too many open connections; retry shortly",
                                       headers: ["Retry-After": "1"]).serialized(keepAlive: false)
        _ = ListeningSocket.write(fd, answer[...])
        shutdown(fd, Int32(SHUT_WR))
        close(fd)
        counters.refused.add(1, ordering: .relaxed)
    }

    private func pauseAccepting() {
        acceptPausedUntil = MonotonicClock.now() + 100_000_000
        try? epoll.modify(listener, events: 0, token: Self.listenerToken)
        nextSweep = min(nextSweep, acceptPausedUntil ?? nextSweep)
    }

    // MARK: connections

    private func serviceConnection(token: UInt64, events: UInt32) {
        guard let record = connections[token] else { return }
        let now = MonotonicClock.now()
        let failed = events & (Epoll.hangUp | Epoll.error) != 0
        if events & Epoll.output != 0 && !record.output.isEmpty {
            flush(record, token: token, now: now)
        }
        if events & Epoll.input != 0 || failed, connections[token] != nil {
            if record.machine.wantsInput {
                readFrom(record, token: token, now: now)
            } else if failed {
                // Gone in both directions while its request is with the handler.
                closeConnection(token)
            }
        }
    }

    private func readFrom(_ record: ConnectionRecord, token: UInt64, now: UInt64) {
        let (transfer, stampedAt) = readBuffer.withUnsafeMutableBytes { buffer in
            stampsArrivals ? ListeningSocket.readStamped(record.fd, into: buffer) : (ListeningSocket.read(record.fd, into: buffer), nil)
        }
        switch transfer {
        case .bytes(let count):
            perform(record.machine.received(readBuffer[0..<count], now: now, stampedAt: stampedAt), on: record, token: token, now: now)
        case .endOfInput:
            perform(record.machine.receivedEndOfInput(now: now), on: record, token: token, now: now)
        case .wouldBlock:
            return
        case .failed:
            closeConnection(token)
        }
    }

    /// Carries out the state machine's actions, in order.
    private func perform(_ actions: [HTTPConnection.Action], on record: ConnectionRecord, token: UInt64, now: UInt64) {
        for action in actions {
            switch action {
            case .dispatch(let request):
                dispatch(request, token: token)
            case .write(let bytes):
                record.output = bytes
                record.outputOffset = 0
                flush(record, token: token, now: now)
            case .writeIfPossible(let bytes):
                _ = ListeningSocket.write(record.fd, bytes[...])
            case .shutdownWrite:
                shutdown(record.fd, Int32(SHUT_WR))
            case .close:
                closeConnection(token)
            }
        }
        counters.buffered.store(bodyBudget.used, ordering: .relaxed)
        guard connections[token] != nil else { return }
        if record.isIdle && !record.priority { idle.noteIdle(token) } else { idle.forget(token) }
        updateInterest(record, token: token)
        noteDeadline(record)
    }

    private func dispatch(_ request: HTTPRequest, token: UInt64) {
        counters.requests.add(1, ordering: .relaxed)
        let handler = handler
        let inbox = inbox
        Task(executorPreference: executor) {
            let response = await handler(request)
            inbox.post(.answered(token: token, response: response))
        }
    }

    /// Writes what is pending in one `send`; the rest waits for EPOLLOUT.
    private func flush(_ record: ConnectionRecord, token: UInt64, now: UInt64) {
        switch ListeningSocket.write(record.fd, record.output[record.outputOffset...]) {
        case .bytes(let count):
            record.outputOffset += count
            guard record.outputOffset == record.output.count else {
                updateInterest(record, token: token)
                return
            }
            record.output = []
            record.outputOffset = 0
            perform(record.machine.wroteAll(now: now), on: record, token: token, now: now)
        case .wouldBlock:
            updateInterest(record, token: token)
        case .endOfInput, .failed:
            closeConnection(token)
        }
    }

    private func updateInterest(_ record: ConnectionRecord, token: UInt64) {
        var interest: UInt32 = 0
        if !record.output.isEmpty { interest |= Epoll.output }
        if record.machine.wantsInput { interest |= Epoll.input }
        guard interest != record.interest else { return }
        record.interest = interest
        if (try? epoll.modify(record.fd, events: interest, token: token)) == nil { closeConnection(token) }
    }

    private func closeConnection(_ token: UInt64) {
        guard let record = connections.removeValue(forKey: token) else { return }
        idle.forget(token)
        record.machine.releaseBudget()
        if record.priority { priorityOpen -= 1 }
        close(record.fd)
        counters.connectionClosed()
    }

    // MARK: time

    private func noteDeadline(_ record: ConnectionRecord) {
        if let deadline = record.machine.deadline { nextSweep = min(nextSweep, deadline) }
    }

    /// Acts on every expired deadline and finds the next one (at most a second away).
    private func sweepDeadlines() {
        let now = MonotonicClock.now()
        guard now >= nextSweep else { return }
        var next = now + 1_000_000_000
        if let resume = acceptPausedUntil {
            if now >= resume {
                acceptPausedUntil = nil
                if listenerOpen { try? epoll.modify(listener, events: Epoll.input, token: Self.listenerToken) }
            } else {
                next = min(next, resume)
            }
        }
        for (token, record) in connections {
            guard let deadline = record.machine.deadline else { continue }
            if now >= deadline {
                counters.timedOut.add(1, ordering: .relaxed)
                perform(record.machine.tick(now: now), on: record, token: token, now: now)
            }
            if connections[token] != nil, let deadline = record.machine.deadline { next = min(next, deadline) }
        }
        nextSweep = next
    }

    // MARK: inbox

    private func readInbox() {
        inbox.wake.drain()
        let now = MonotonicClock.now()
        for message in inbox.take() {
            switch message {
            case .answered(let token, let response):
                guard let record = connections[token] else { continue }
                perform(record.machine.answered(response, now: now, date: currentDate()), on: record, token: token, now: now)
            case .stop:
                beginStop(now: now)
            }
        }
    }

    private func beginStop(now: UInt64) {
        guard stopDeadline == nil else { return }
        stopDeadline = now &+ gracePeriod
        closeListener()
        for (token, record) in connections {
            perform(record.machine.drain(now: now), on: record, token: token, now: now)
        }
    }

    private func closeListener() {
        guard listenerOpen else { return }
        listenerOpen = false
        epoll.remove(listener)
        close(listener)
    }

    private func currentDate() -> String {
        let second = HTTPDate.currentEpochSeconds()
        if second != dateCache.second { dateCache = (second, HTTPDate.format(epochSeconds: second)) }
        return dateCache.text
    }
}
