import SluiceHTTP
import SluicePOSIX
import SluiceTestSupport

/// Starts a server on 127.0.0.1 port 0, runs `body` off the cooperative pool
/// with the bound port, and stops the server whatever happens.
func withTestServer<T: Sendable>(
    _ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
    handler: @escaping HTTPHandler = echo,
    _ body: @escaping @Sendable (UInt16, HTTPServer) throws -> T
) async throws -> T {
    let server = HTTPServer(configuration: configuration, handler: handler)
    let address = try server.start()
    do {
        let result = try await offPool { try body(address.port, server) }
        try await offPool { server.stop() }
        return result
    } catch {
        try await offPool { server.stop() }
        throw error
    }
}

/// Answers `METHOD target body` so a test can tell which request an answer is for.
let echo: HTTPHandler = { request in
    .text(.ok, "\(request.method) \(request.target) \(request.bodyText)")
}

/// Sleeps as many milliseconds as the `delay` query item says, then echoes.
let delayedEcho: HTTPHandler = { request in
    if let delay = request.queryItems.first(where: { $0.name == "delay" }).flatMap({ Int($0.value) }) {
        try? await Task.sleep(for: .milliseconds(delay))
    }
    return await echo(request)
}

/// Monotonic milliseconds, for timing what a client observed.
func milliseconds() -> Double { Double(MonotonicClock.now()) / 1e6 }
