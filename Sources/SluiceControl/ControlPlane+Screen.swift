import SluiceHTTP

extension ControlPlane {
    /// Decides on a request from its head, before any of its body is read
    /// (the server's `HTTPHeadScreen`): an unknown route or method, and on
    /// `/v1` a page's request (`BrowserGuard`), a missing or wrong token, an
    /// ingest while draining, to an unknown queue or of a type it cannot
    /// read, are answered at once. So nothing a client sends without the
    /// token is ever buffered (100 such 8 MiB bodies took 863 MB before).
    func screen(_ head: HTTPRequest, contentLength: Int, router: HTTPRouter) -> HTTPResponse? {
        let route: String
        let parameters: HTTPRouter.Parameters
        switch router.match(method: head.method, path: head.path) {
        case .notFound: return .text(.notFound, "no route for \(head.path)")
        case .methodNotAllowed(let allowed): return HTTPRouter.methodNotAllowed(head, allowed: allowed)
        case .route(let pattern, let captured): (route, parameters) = (pattern, captured)
        }
        guard route.hasPrefix("/v1/") else { return nil }
        if let refusal = browserGuard.refusal(head) { return refusal }
        if let refusal = authorization.refusal(head) { return refusal }
        if route == Self.ingestRoute { return screenIngest(head, queue: parameters["queue"]) }
        return nil
    }

    static let ingestRoute = "/v1/queues/{queue}/tasks"

    private func screenIngest(_ head: HTTPRequest, queue name: String?) -> HTTPResponse? {
        do {
            guard !state.isDraining else { throw ControlError.unavailable(Self.drainingMessage) }
            _ = try queue(named: name)
            _ = try Self.ingestFormat(head)
            return nil
        } catch {
            return Self.errorResponse(error)
        }
    }

    static let drainingMessage = "the fleet is draining; send the tasks to another instance or retry after it restarts"
}
