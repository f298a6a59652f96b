/// Routes requests by method and path pattern to handlers.
///
/// Patterns are literal segments and `{name}` captures, e.g.
/// `/v1/queues/{queue}/tasks`; a capture matches one non-empty segment.
/// An unknown path is 404; a known path with another method is 405 with
/// `Allow` listing the methods it has. Routes are tried in the order added.
public struct HTTPRouter: Sendable {
    /// The captured segments of the matched pattern, still percent-encoded.
    public typealias Parameters = [String: String]
    public typealias RouteHandler = @Sendable (HTTPRequest, Parameters) async -> HTTPResponse

    private struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let handler: RouteHandler
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case capture(String)
    }

    private var routes: [Route] = []
    /// Answers paths no route knows; 404 by default.
    public var notFound: RouteHandler = { request, _ in
        .text(.notFound, "no route for \(request.path)")
    }

    public init() {}

    /// Adds a route. `method` is matched exactly (`GET`, `POST`, …); a GET route
    /// also answers HEAD (the server sends the head only).
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping RouteHandler) {
        let segments = Self.split(pattern).map { piece -> Segment in
            piece.hasPrefix("{") && piece.hasSuffix("}") && piece.count > 2 ? .capture(String(piece.dropFirst().dropLast())) : .literal(String(piece))
        }
        routes.append(Route(method: method, pattern: pattern, segments: segments, handler: handler))
    }

    /// Where a request goes, decided from its method and path alone.
    public enum Match: Sendable {
        /// The route's pattern and its captures.
        case route(pattern: String, parameters: Parameters)
        case notFound
        /// The path is known, the method is not: the methods it has.
        case methodNotAllowed([String])
    }

    /// The route `method` and `path` take (for a server's head screen: no handler runs).
    public func match(method: String, path: String) -> Match {
        let pieces = Self.split(path)
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.match(route.segments, pieces) else { continue }
            if route.method == method || (route.method == "GET" && method == "HEAD") {
                return .route(pattern: route.pattern, parameters: parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }

    /// The 405 for `request` on a path whose methods are `allowed`.
    public static func methodNotAllowed(_ request: HTTPRequest, allowed: [String]) -> HTTPResponse {
        .text(.methodNotAllowed, "\(request.method) is not allowed on \(request.path); use \(allowed.joined(separator: " or "))",
              headers: ["Allow": allowed.joined(separator: ", ")])
    }

    /// Routes `request` to its handler.
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let path = Self.split(request.path)
        var allowed: [String] = []
        for route in routes {
            guard let parameters = Self.match(route.segments, path) else { continue }
            if route.method == request.method || (route.method == "GET" && request.method == "HEAD") {
                return await route.handler(request, parameters)
            }
            if !allowed.contains(route.method) { allowed.append(route.method) }
        }
        if allowed.isEmpty { return await notFound(request, [:]) }
        return Self.methodNotAllowed(request, allowed: allowed)
    }

    /// The router as a server handler.
    public var handler: HTTPHandler {
        let router = self
        return { request in await router.respond(to: request) }
    }

    private static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func match(_ pattern: [Segment], _ path: [Substring]) -> Parameters? {
        guard pattern.count == path.count else { return nil }
        var parameters: Parameters = [:]
        for (segment, piece) in zip(pattern, path) {
            switch segment {
            case .literal(let text): if text != piece { return nil }
            case .capture(let name): parameters[name] = String(piece)
            }
        }
        return parameters
    }
}
