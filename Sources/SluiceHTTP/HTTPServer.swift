import Glibc
import SluicePOSIX
import Synchronization

/// Answers one request. Runs as a Swift task on the server's own executor
/// (not the cooperative pool, see `HandlerExecutor`), so it may await (a
/// deliberate delay) or even block (an fsync); the connection waits, others
/// do not. Returning `HTTPResponse.dropConnection` closes the connection
/// without an answer.
public typealias HTTPHandler = @Sendable (HTTPRequest) async -> HTTPResponse

/// An HTTP/1.1 server on POSIX sockets: keep-alive, pipelining, limits and
/// timeouts, one `write` per answer. See `HTTPServerConfiguration` for what
/// it tolerates and `HTTPConnection` for a connection's lifecycle.
///
/// One event-loop thread does all socket work (epoll, non-blocking sockets);
/// handlers run on Swift's concurrency pool. Lifecycle:
/// `created → running → stopped`; `start` and `stop` may each be called once
/// (a second `stop` returns at once).
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    private let screen: HTTPHeadScreen?
    private let handler: HTTPHandler
    private let counters = HTTPServerCounters()
    private let lifecycle = Mutex<Lifecycle>(.created)

    private enum Lifecycle: @unchecked Sendable {
        case created
        case running(address: SocketAddress, inbox: LoopInbox, thread: PosixThread)
        case stopped(address: SocketAddress?)
    }

    /// `screen`, if given, decides on each request from its head before its
    /// body is read (see `HTTPHeadScreen`); `handler` answers the rest.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), screen: HTTPHeadScreen? = nil,
                handler: @escaping HTTPHandler) {
        self.configuration = configuration
        self.screen = screen
        self.handler = handler
    }

    /// Binds, listens and starts serving. Returns the bound address (with the
    /// real port when the configuration asked for port 0).
    @discardableResult
    public func start() throws(HTTPServerError) -> SocketAddress {
        try lifecycle.withLock { lifecycle throws(HTTPServerError) -> SocketAddress in
            guard case .created = lifecycle else { throw HTTPServerError.alreadyStarted }
            do throws(SystemError) {
                let (listener, address) = try ListeningSocket.open(configuration.address, backlog: configuration.backlog)
                let loop: HTTPServerLoop
                do throws(SystemError) {
                    loop = try HTTPServerLoop(listener: listener, configuration: configuration, screen: screen, handler: handler,
                                              counters: counters)
                } catch {
                    Glibc.close(listener)
                    throw error
                }
                let thread = PosixThread.start { loop.run() }
                lifecycle = .running(address: address, inbox: loop.inbox, thread: thread)
                return address
            } catch {
                throw HTTPServerError.cannotListen(configuration.address, error)
            }
        }
    }

    /// The bound address while running (and after, for messages); nil before `start`.
    public var address: SocketAddress? {
        lifecycle.withLock { lifecycle in
            switch lifecycle {
            case .created: nil
            case .running(let address, _, _): address
            case .stopped(let address): address
            }
        }
    }

    /// Stops gracefully: closes the listener at once, closes idle connections,
    /// lets requests in hand be answered (with `Connection: close`) for up to
    /// the grace period, then closes everything. Returns when the loop thread
    /// has ended.
    public func stop() {
        let running: (LoopInbox, PosixThread)? = lifecycle.withLock { lifecycle in
            switch lifecycle {
            case .running(let address, let inbox, let thread):
                lifecycle = .stopped(address: address)
                return (inbox, thread)
            case .created:
                lifecycle = .stopped(address: nil)
                return nil
            case .stopped:
                return nil
            }
        }
        guard let (inbox, thread) = running else { return }
        inbox.post(.stop)
        thread.join()
    }

    /// What the server has done so far.
    public var statistics: HTTPServerStatistics { counters.snapshot }
}

/// Why the server could not start.
public enum HTTPServerError: Error, CustomStringConvertible, Sendable {
    case alreadyStarted
    case cannotListen(SocketAddress, SystemError)

    public var description: String {
        switch self {
        case .alreadyStarted:
            "the HTTP server was already started; make a new one"
        case .cannotListen(let address, let error):
            "cannot listen on \(address): \(error)" + (error.errno == EADDRINUSE ? "; another process holds the port, choose another or stop it" : "")
        }
    }
}
