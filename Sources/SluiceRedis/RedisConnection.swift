import SluiceCore
import SluicePOSIX

/// One connection to Redis, used by one thread at a time (it is not
/// `Sendable`; share a `RedisClient` instead).
///
/// Every call is bounded by its budget (the options' `timeout` unless the
/// call names one): connecting when needed, writing and reading all fit in
/// it, each wait a poll(2). A call that runs out of time, or meets a broken
/// connection, closes it (its state is unknown) and fails with a typed error
/// that says whether its commands may have run:
///
/// - `.notSent`: nothing was written; Redis cannot have run it.
/// - `.outcomeUnknown`: written, no reply; it may have run. It is never
///   written again by this connection: only the caller can decide.
///
/// Connecting happens inside a call: there is no background thread. A call
/// made while disconnected tries once to connect (and log in: `AUTH`,
/// `HELLO 3`, `CLIENT SETNAME`, `SELECT`, or a `PING`) within its own
/// budget. After a failed attempt the next one waits a jittered, growing
/// delay (`ReconnectBackoff`); calls made before then fail at once with
/// `.notSent(.backingOff)` instead of waiting.
///
/// The calls block the calling thread: call them from a thread of your own,
/// not from a task on Swift's cooperative pool. Not for `SUBSCRIBE`,
/// `MONITOR` or `CLIENT TRACKING` (replies would stop matching commands), nor
/// for blocking commands that wait longer than the budget (`BLPOP k 0`).
public final class RedisConnection {
    public let endpoint: RedisEndpoint
    public let options: RedisOptions
    private let password: RedisPassword?
    private var state: LinkState = .disconnected(ConnectAttempts())
    private var parser: RESPParser
    private var resolver: TargetResolver
    private var random = SystemRandomNumberGenerator()

    /// Connected, or waiting to try again.
    private enum LinkState {
        case connected(RedisSocket)
        case disconnected(ConnectAttempts)
    }

    /// Failed connection attempts in a row, and when the next may start.
    private struct ConnectAttempts {
        var failures = 0
        var notBefore: UInt64 = 0
        var lastFailure: RedisFailure?
    }

    /// Makes a connection object; nothing is connected until the first call (or `connect()`).
    public init(endpoint: RedisEndpoint, password: RedisPassword? = nil, options: RedisOptions = RedisOptions()) {
        self.endpoint = endpoint
        self.password = password
        self.options = options
        parser = RESPParser(limits: options.limits)
        resolver = TargetResolver(endpoint.address)
    }

    deinit { close() }

    /// True while a socket is open (it may still turn out to be broken on the next call).
    public var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    /// Connects and logs in now, if not connected, so the first command does
    /// not pay for it.
    public func connect(timeout: Duration? = nil) throws(RedisError) {
        do {
            _ = try openSocket(within: CallBudget(timeout ?? options.timeout))
        } catch {
            throw .notSent(error)
        }
    }

    /// Sends one command and returns its reply. An error reply throws `.server`.
    public func send(_ command: RedisCommand, timeout: Duration? = nil) throws(RedisError) -> RESPValue {
        try run([command], within: CallBudget(timeout ?? options.timeout))[0].get()
    }

    /// Sends `arguments` as one command: `send("SET", "k", 1)`.
    public func send(_ name: String, _ arguments: any RedisArgument..., timeout: Duration? = nil) throws(RedisError) -> RESPValue {
        try send(RedisCommand(name, arguments: arguments), timeout: timeout)
    }

    /// Sends every command in one write, then reads their replies in order,
    /// all within one budget. One result per command, in order: its reply,
    /// `.server` for an error reply, or why it failed. When the connection
    /// fails part-way, the commands whose replies were read keep them, those
    /// written fail `.outcomeUnknown`, those not written `.notSent`.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) -> [Result<RESPValue, RedisError>] {
        run(commands, within: CallBudget(timeout ?? options.timeout))
    }

    /// Closes the socket. The next call connects again (with no backoff).
    public func close() {
        if case .connected(let socket) = state { socket.close() }
        state = .disconnected(ConnectAttempts())
    }

    // MARK: - One call

    /// Runs `commands` as one pipeline within `budget`: one result each, in order.
    func run(_ commands: [RedisCommand], within budget: CallBudget) -> [Result<RESPValue, RedisError>] {
        guard !commands.isEmpty else { return [] }
        let socket: RedisSocket
        do {
            socket = try openSocket(within: budget)
        } catch {
            return commands.map { _ in .failure(.notSent(error)) }
        }
        // A budget already spent (connecting took it all, or it was zero): a
        // command written now could only end unknown.
        guard budget.remaining > 0 else { return commands.map { _ in .failure(.notSent(budget.timedOut(.write))) } }
        var bytes: [UInt8] = []
        var starts: [Int] = []
        for command in commands {
            starts.append(bytes.count)
            command.encode(into: &bytes)
        }
        let (written, writeFailure) = socket.write(bytes, within: budget, step: .write)
        if let writeFailure {
            dropConnection()
            return starts.map { start in .failure(written > start ? .outcomeUnknown(writeFailure) : .notSent(writeFailure)) }
        }
        var results: [Result<RESPValue, RedisError>] = []
        results.reserveCapacity(commands.count)
        for command in commands {
            do {
                let reply = try readReply(from: socket, within: budget, step: .read)
                if case .error(let message) = reply {
                    results.append(.failure(.server(RedisServerError(message: message, command: command.name))))
                } else {
                    results.append(.success(reply))
                }
            } catch {
                dropConnection()
                while results.count < commands.count { results.append(.failure(.outcomeUnknown(error))) }
                break
            }
        }
        return results
    }

    /// The next reply, skipping RESP3 pushes (out-of-band messages, not replies).
    private func readReply(from socket: RedisSocket, within budget: CallBudget, step: RedisStep) throws(RedisFailure) -> RESPValue {
        while true {
            let next: RESPValue?
            do {
                next = try parser.next()
            } catch {
                throw .protocolViolation(error)
            }
            if let next {
                if case .push = next { continue }
                return next
            }
            try socket.read(into: &parser, within: budget, step: step)
        }
    }

    /// Closes a connection whose state is unknown (timed out, broken, out of
    /// step). Nothing is resent. The next call may connect again at once:
    /// this connection had worked, so the server probably restarted or a
    /// single call was slow; only failed attempts back off.
    private func dropConnection() {
        if case .connected(let socket) = state { socket.close() }
        state = .disconnected(ConnectAttempts())
    }

    // MARK: - Connecting

    /// The open socket, connecting and logging in first if needed.
    private func openSocket(within budget: CallBudget) throws(RedisFailure) -> RedisSocket {
        var attempts = ConnectAttempts()
        switch state {
        case .connected(let socket):
            guard socket.isStale || parser.isMidReply else { return socket }
            // Closed, or sent bytes nobody asked for, while idle (a restart, an
            // idle timeout, a stray reply that would be taken for the next
            // command's): nothing of ours is in flight, so connecting again is safe.
            socket.close()
        case .disconnected(let previous):
            attempts = previous
            let now = MonotonicClock.now()
            if let last = previous.lastFailure, now < previous.notBefore {
                throw .backingOff(retryIn: .nanoseconds(Int64(clamping: previous.notBefore - now)), after: last)
            }
        }
        do {
            let socket = try connectAndLogIn(within: budget)
            state = .connected(socket)
            return socket
        } catch {
            attempts.failures += 1
            let delay = options.backoff.delay(afterFailures: attempts.failures, random: UInt32.random(in: 0...UInt32.max, using: &random))
            let (notBefore, overflow) = MonotonicClock.now().addingReportingOverflow(delay)
            attempts.notBefore = overflow ? .max : notBefore
            attempts.lastFailure = error
            state = .disconnected(attempts)
            throw error
        }
    }

    private func connectAndLogIn(within budget: CallBudget) throws(RedisFailure) -> RedisSocket {
        let targets = try resolver.targets(within: budget)
        var lastFailure = RedisFailure.connectFailed(SystemError(call: "connect", errno: 0))
        for target in targets {
            let socket: RedisSocket
            do {
                socket = try RedisSocket.connect(to: target, within: budget)
            } catch {
                lastFailure = error
                if case .timedOut = error { break }
                continue
            }
            parser = RESPParser(limits: options.limits)
            try logIn(on: socket, within: budget)
            return socket
        }
        resolver.forget()
        throw lastFailure
    }

    /// The handshake, pipelined in one write: AUTH, HELLO 3, CLIENT SETNAME,
    /// SELECT as configured, or a PING, so a connection is known to answer
    /// before a command is trusted to it.
    private func logIn(on socket: RedisSocket, within budget: CallBudget) throws(RedisFailure) {
        let commands = handshakeCommands()
        var bytes: [UInt8] = []
        for command in commands { command.encode(into: &bytes) }
        do throws(RedisFailure) {
            if let failure = socket.write(bytes, within: budget, step: .handshake).failure { throw failure }
            for command in commands {
                let reply = try readReply(from: socket, within: budget, step: .handshake)
                guard case .error(let message) = reply else { continue }
                throw Self.refusal(of: command.name, message: message)
            }
        } catch {
            socket.close()
            throw error
        }
    }

    private func handshakeCommands() -> [RedisCommand] {
        var commands: [RedisCommand] = []
        if let password {
            var auth = RedisCommand("AUTH")
            if let user = endpoint.user { auth.append(user) }
            auth.append(password.bytes)
            commands.append(auth)
        } else if let user = endpoint.user {
            // An ACL user without a password: `nopass` users accept any.
            commands.append(RedisCommand("AUTH", user, ""))
        }
        if options.protocolVersion == .resp3 { commands.append(RedisCommand("HELLO", "3")) }
        if let name = options.clientName { commands.append(RedisCommand("CLIENT", "SETNAME", name)) }
        if endpoint.database != 0 { commands.append(RedisCommand("SELECT", endpoint.database)) }
        if commands.isEmpty { commands.append(RedisCommand("PING")) }
        return commands
    }

    private static func refusal(of command: String, message: String) -> RedisFailure {
        let code = message.prefix { $0 != " " }
        if command == "AUTH" || code == "WRONGPASS" || code == "NOAUTH" { return .authenticationFailed(message) }
        return .handshakeRefused(command: command, message: message)
    }
}
