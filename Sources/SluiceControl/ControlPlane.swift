import Glibc
import SluiceCluster
import SluiceConfig
import SluiceHTTP
import SluiceJSON
import SluiceLimiter
import SluicePOSIX
import SluiceProviders
import SluiceSpool
import Synchronization

/// The supervisor's HTTP listener and everything behind it: `/metrics`,
/// `/healthz`, `/readyz`, ingest (`POST /v1/queues/{queue}/tasks`), describe
/// and admin routes.
///
/// It reads the segment and the spools directly and changes them the same
/// way the CLI would; only scaling goes through the supervisor's loop
/// (`FleetState`), which owns the worker processes. Every `/v1` route needs
/// the bearer token when one is configured (and one must be, beyond loopback).
public final class ControlPlane: Sendable {
    /// One configured queue, with what the control plane reads and changes.
    struct Queue: Sendable {
        let config: QueueConfig
        let handle: QueueHandle
        let spool: SpoolQueue
    }

    let config: FleetConfig
    let spoolRoot: String
    let queues: [String: Queue]
    /// In configuration order, for listings.
    let queueOrder: [String]
    let state: FleetState
    let sampler: QueueSampler
    let purger: FinishedTaskPurger
    let rateLearning: RateLearning
    let authorization: Authorization
    let browserGuard: BrowserGuard
    let log: EventLog
    let metricsRendering = RenderCoalescer()
    /// Serialises read-modify-write of the overrides files (and, several
    /// hosts, orders changes posted to the fleet with records applied from it).
    let overridesLock = Mutex(())
    /// Several hosts: runtime changes to and from the fleet (nil: one host).
    let runtime: RuntimeExchange?
    private let server = Mutex<HTTPServer?>(nil)

    public init(config: FleetConfig, coordinator: Coordinator, spools: [String: SpoolQueue],
                state: FleetState, adminToken: Secret?, log: EventLog, runtime: RuntimeExchange? = nil) throws {
        self.config = config
        self.runtime = runtime
        spoolRoot = config.spoolRoot ?? SpoolRoot.defaultPath()
        var queues: [String: Queue] = [:]
        for queue in config.queues {
            guard let spool = spools[queue.name.rawValue] else { continue }
            queues[queue.name.rawValue] = Queue(config: queue, handle: try coordinator.queue(queue.name), spool: spool)
        }
        self.queues = queues
        queueOrder = config.queues.map(\.name.rawValue)
        self.state = state
        sampler = QueueSampler(queues: queueOrder.compactMap { queues[$0] }.map { ($0.handle, $0.spool) })
        purger = FinishedTaskPurger(spools: queueOrder.compactMap { queues[$0]?.spool }, log: log)
        rateLearning = RateLearning(queues: queueOrder.compactMap { queues[$0] }.map { queue in
            let saved = (try? RuntimeOverrides.load(root: config.spoolRoot ?? SpoolRoot.defaultPath(), queue: queue.config.name.rawValue))?.rate
            return (queue.handle, queue.handle.limits.rate, (saved?.rate ?? queue.config.rate).period)
        }, log: log, fleet: runtime)
        authorization = Authorization(token: adminToken)
        var hosts = Set(config.allowedHosts)
        if config.listen.host != "0.0.0.0" { hosts.insert(config.listen.host) }
        browserGuard = BrowserGuard(allowedHosts: hosts)
        self.log = log
        runtime?.setApplier { [weak self] queue, record, liftsHold in
            self?.applyFleetRuntime(queue, record, liftsHold: liftsHold) ?? true
        }
        runtime?.setDecreaseApplier { [weak self] queue in self?.rateLearning.fleetDecrease(queue.rawValue) }
    }

    /// Binds the listener and starts serving; returns the bound address.
    /// Writes it to `<spool root>/control.json` for the CLI to find.
    ///
    /// The connection cap comes from the descriptor limit (`ConnectionPlan`),
    /// so the spool and the handlers always have descriptors, and probes over
    /// the cap are still answered; bodies are read only once their head is
    /// admitted (`screen`), within a budget shared by all connections.
    @discardableResult
    public func start() throws -> SocketAddress {
        let address = SocketAddress(host: config.listen.host, port: config.listen.port)
        let limits = HTTPLimits(maxBodyBytes: config.maxRequestBodyBytes)
        let plan = ConnectionPlan(descriptorLimit: DescriptorLimit.current().soft, openNow: DescriptorLimit.openCount(),
                                  configured: config.maxConnections)
        let configuration = HTTPServerConfiguration(
            address: address, limits: limits, maxConnections: plan.maxConnections,
            priorityConnections: plan.probeConnections, priorityPaths: ["/healthz", "/readyz"], closesIdleAtCap: true,
            maxBufferedBodyBytes: config.maxBufferedBodyBytes)
        let router = self.router
        let server = HTTPServer(configuration: configuration, screen: { [self] head, length in
            screen(head, contentLength: length, router: router)
        }, handler: router.handler)
        let bound = try server.start()
        self.server.withLock { $0 = server }
        sampler.start()
        purger.start()
        rateLearning.start()
        do {
            try ControlEndpoint(pid: getpid(), address: bound, fleet: config.fleet.rawValue).write(root: spoolRoot)
        } catch {
            log.warn("http.endpoint_file_failed", ("error", "\(error)"))
        }
        log.info("http.listening", ("address", "\(bound)"), ("admin_token", authorization.token == nil ? "none" : "required"),
                 ("max_connections", "\(plan.maxConnections)"), ("probe_connections", "\(plan.probeConnections)"),
                 ("descriptor_limit", "\(plan.descriptorLimit)"), ("descriptors_open", "\(plan.openAtStart)"),
                 ("max_buffered_body_bytes", "\(configuration.maxBufferedBodyBytes)"))
        if plan.maxConnections < config.maxConnections {
            log.warn("http.connections_limited", ("configured", "\(config.maxConnections)"), ("allowed", "\(plan.maxConnections)"),
                     ("fix", "raise the file descriptor limit (LimitNOFILE= in the unit, ulimit -n) to serve maxConnections"))
        }
        return bound
    }

    /// Stops serving (requests in hand are answered) and removes the endpoint file.
    public func stop() {
        let server = self.server.withLock { server in
            defer { server = nil }
            return server
        }
        server?.stop()
        sampler.stop()
        purger.stop()
        rateLearning.stop()
        ControlEndpoint.remove(root: spoolRoot, ifOwnedBy: getpid())
    }

    var router: HTTPRouter {
        var router = HTTPRouter()
        router.add("GET", "/metrics") { [self] _, _ in await metrics() }
        router.add("GET", "/healthz") { [self] _, _ in health() }
        router.add("GET", "/readyz") { [self] _, _ in readiness() }
        addV1("POST", "/v1/queues/{queue}/tasks", to: &router) { [self] request, parameters in
            try ingest(request, into: queue(named: parameters["queue"]))
        }
        addV1("GET", "/v1/queues", to: &router) { [self] _, _ in listQueues() }
        addV1("GET", "/v1/queues/{queue}", to: &router) { [self] _, parameters in
            .json(.ok, JSONWriter.bytes(describe(try queue(named: parameters["queue"]))))
        }
        addV1("GET", "/v1/queues/{queue}/admission", to: &router) { [self] _, parameters in
            // What `sluice enqueue` needs to judge a task as ingest does (TaskAdmission).
            .json(.ok, JSONWriter.bytes(AdmissionRules(queue: try queue(named: parameters["queue"]).config).json))
        }
        addV1("GET", "/v1/tasks/{id}", to: &router) { [self] _, parameters in try showTask(parameters["id"] ?? "") }
        addV1("PUT", "/v1/queues/{queue}/rate", to: &router) { [self] request, parameters in
            try setRate(request, queue(named: parameters["queue"]))
        }
        addV1("POST", "/v1/queues/{queue}/pause", to: &router) { [self] _, parameters in
            try setPaused(true, queue(named: parameters["queue"]))
        }
        addV1("POST", "/v1/queues/{queue}/resume", to: &router) { [self] _, parameters in
            try setPaused(false, queue(named: parameters["queue"]))
        }
        addV1("POST", "/v1/queues/{queue}/reset", to: &router) { [self] _, parameters in
            try resetWaiting(queue(named: parameters["queue"]))
        }
        addV1("PUT", "/v1/queues/{queue}/processes", to: &router) { [self] request, parameters in
            try await scale(request, queue(named: parameters["queue"]))
        }
        return router
    }

    /// Adds a `/v1` route: the token is checked first, and a thrown error is
    /// answered with its status and a JSON `{"error": …}`.
    private func addV1(_ method: String, _ pattern: String, to router: inout HTTPRouter,
                       _ body: @escaping @Sendable (HTTPRequest, HTTPRouter.Parameters) async throws -> HTTPResponse) {
        router.add(method, pattern) { [self] request, parameters in
            if let refusal = authorization.refusal(request) { return refusal }
            do {
                return try await body(request, parameters)
            } catch {
                return Self.errorResponse(error)
            }
        }
    }

    func queue(named text: String?) throws(ControlError) -> Queue {
        let name = Self.pathSegment(text)
        guard let queue = queues[name] else {
            throw .notFound("no queue \"\(name)\" in this fleet (queues: \(queueOrder.joined(separator: ", ")))")
        }
        return queue
    }

    /// A queue's backlog as the sampler last counted it (at most a second
    /// ago); nil before its spool could be read.
    public func backlog(of queue: String) -> QueueCounts? { sampler.sample(queue).counts }

    /// A captured path segment, percent-decoded (captures arrive encoded).
    static func pathSegment(_ text: String?) -> String {
        FormURLEncoded.percentDecode(Substring(text ?? ""), plusIsSpace: false)
    }

    static func errorResponse(_ error: any Error) -> HTTPResponse {
        let control = error as? ControlError ?? .storage("\(error)")
        var headers: HTTPHeaders = [:]
        if case .unavailable = control { headers = ["Retry-After": "5"] }
        return .json(control.status, JSONWriter.bytes(.object([("error", .string(control.description))])), headers: headers)
    }
}
