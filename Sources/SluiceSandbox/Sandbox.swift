import Glibc
import SluiceHTTP
import SluicePOSIX
import Synchronization
import SluiceJSON

/// The sandbox as an HTTP handler: routes to the engine under a lock, holds
/// answers for the latency fault, and serves its own `/__sandbox/…` routes:
///
/// - `GET /__sandbox/stats`: per endpoint and per limit, JSON;
/// - `GET /__sandbox/arrivals`: every provider request's arrival instant and status (`ArrivalLog`);
/// - `GET /__sandbox/faults`, `POST /__sandbox/faults` (a `FaultPlan` as JSON; replaces the plan);
/// - `POST /__sandbox/reset`: counters, windows, keys and faults back to the start;
/// - `GET|POST|PUT /__sandbox/echo`: unlimited, unauthenticated echo.
public final class Sandbox: Sendable {
    private let engine: Mutex<SandboxEngine>
    private let clock: any InstantSource
    private let start: (monotonic: UInt64, epochNanoseconds: UInt64)

    /// `clock` drives the limits (tests pass a `ManualClock`); the wall clock
    /// in answers counts from `epochSecondsAtStart` (nil: the real wall
    /// clock, to the nanosecond) on the same clock.
    public init(configuration: SandboxConfiguration = SandboxConfiguration(), clock: any InstantSource = SystemInstantSource(),
                epochSecondsAtStart: Int? = nil) {
        self.clock = clock
        let now = clock.now()
        start = (now, epochSecondsAtStart.map { UInt64(max(0, $0)) * 1_000_000_000 } ?? Self.wallClockNanoseconds())
        engine = Mutex(SandboxEngine(configuration: configuration, now: now))
    }

    /// The handler to give an `HTTPServer`.
    public var handler: HTTPHandler {
        let router = makeRouter()
        return { request in await router.respond(to: request) }
    }

    /// Now, or for a request the instant it reached the socket when the
    /// server stamped it (on the same monotonic clock; a test's manual
    /// clock ignores stamps).
    private func instant(of request: HTTPRequest? = nil) -> SandboxInstant {
        var now = clock.now()
        if clock is SystemInstantSource, let receivedAt = request?.receivedAt, receivedAt <= now { now = receivedAt }
        let wall = start.epochNanoseconds &+ (now - min(now, start.monotonic))
        return SandboxInstant(monotonic: now, epochSeconds: Int(wall / 1_000_000_000), epochNanoseconds: wall)
    }

    /// `CLOCK_REALTIME` in nanoseconds since the epoch.
    private static func wallClockNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(max(0, spec.tv_sec)) * 1_000_000_000 + UInt64(max(0, spec.tv_nsec))
    }

    private func makeRouter() -> HTTPRouter {
        var router = HTTPRouter()
        for endpoint in SandboxEndpoint.allCases where endpoint != .echo {
            router.add(endpoint.route.method, endpoint.route.pattern) { request, parameters in
                await self.serve(request, endpoint: endpoint, parameters: parameters)
            }
        }
        for method in ["GET", "POST", "PUT"] {
            router.add(method, SandboxEndpoint.echo.route.pattern) { request, _ in await self.serve(request, endpoint: .echo, parameters: [:]) }
        }
        router.add("GET", "/__sandbox/stats") { _, _ in
            let now = self.clock.now()
            return .json(.ok, self.engine.withLock { $0.statsJSON(now: now) })
        }
        router.add("GET", "/__sandbox/arrivals") { _, _ in
            // A copy (copy-on-write, so cheap) taken under the lock; encoded outside it.
            let (arrivals, start) = self.engine.withLock { ($0.arrivals, $0.startedAt) }
            return .json(.ok, arrivals.json(start: start))
        }
        router.add("POST", "/__sandbox/reset") { _, _ in
            let now = self.clock.now()
            self.engine.withLock { $0.reset(now: now) }
            return .json(.ok, .object([("reset", .bool(true))]))
        }
        router.add("GET", "/__sandbox/faults") { _, _ in .json(.ok, self.engine.withLock { $0.faults.json }) }
        router.add("POST", "/__sandbox/faults") { request, _ in self.setFaults(request) }
        return router
    }

    private func serve(_ request: HTTPRequest, endpoint: SandboxEndpoint, parameters: [String: String]) async -> HTTPResponse {
        // The instant the request reached the socket (stamped by the kernel),
        // not when it is served; two requests may so reach the engine a few
        // µs out of order (the engine keeps its time monotone).
        let now = instant(of: request)
        let reply = engine.withLock { $0.respond(to: request, endpoint: endpoint, parameters: parameters, at: now) }
        if reply.delay > 0 { try? await Task.sleep(nanoseconds: reply.delay) }
        return reply.response
    }

    private func setFaults(_ request: HTTPRequest) -> HTTPResponse {
        do {
            let plan = try FaultPlan(reading: SandboxConfigurationReader(parsing: request.body, path: "faults"))
            let now = clock.now()
            engine.withLock { $0.setFaults(plan, now: now) }
            return .json(.ok, plan.json)
        } catch {
            return .json(.badRequest, .object([("error", .string("\(error)"))]))
        }
    }
}
