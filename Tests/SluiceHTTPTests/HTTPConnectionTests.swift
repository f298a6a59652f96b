import Testing
@testable import SluiceHTTP

/// A connection's lifecycle as events in, actions out: no sockets, no clock.
@Suite struct HTTPConnectionTests {
    static let policy = HTTPConnection.Policy(limits: .standard, idleTimeout: 1_000, readTimeout: 100, writeTimeout: 50, lingerTimeout: 20)

    static func bytes(_ text: String) -> ArraySlice<UInt8> { Array(text.utf8)[...] }

    static func dispatched(_ actions: [HTTPConnection.Action]) -> [String] {
        actions.compactMap { if case .dispatch(let request) = $0 { request.path } else { nil } }
    }

    @Test func pipelinedRequests_areDispatchedOneAtATime_inOrder() {
        var connection = HTTPConnection(policy: Self.policy, now: 0)
        let two = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(Self.dispatched(connection.received(Self.bytes(two), now: 1)) == ["/1"])
        #expect(connection.state == .handling(keepAlive: true))
        let write = connection.answered(.text(.ok, "one"), now: 2, date: nil)
        #expect(write.count == 1)
        #expect(Self.dispatched(connection.wroteAll(now: 3)) == ["/2"])
    }

    @Test func requestCutShort_isAnswered408AtTheReadDeadline_notBefore() {
        var connection = HTTPConnection(policy: Self.policy, now: 0)
        _ = connection.received(Self.bytes("GET / HT"), now: 10)
        // More bytes do not move the deadline: it is fixed at the first byte.
        _ = connection.received(Self.bytes("TP/1.1\r\n"), now: 100)
        #expect(connection.tick(now: 109).isEmpty)
        guard case .write(let bytes) = connection.tick(now: 110).first else { Issue.record("no 408"); return }
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(connection.wroteAll(now: 111) == [.shutdownWrite])
        #expect(connection.tick(now: 131) == [.close])
    }

    @Test func idleConnection_isClosedAtTheIdleDeadline() {
        var connection = HTTPConnection(policy: Self.policy, now: 0)
        #expect(connection.tick(now: 999).isEmpty)
        #expect(connection.tick(now: 1_000) == [.close])
    }

    @Test func connectionClose_endsWithShutdownThenCloseOnTheClientsEOF() {
        var connection = HTTPConnection(policy: Self.policy, now: 0)
        _ = connection.received(Self.bytes("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), now: 1)
        guard case .write(let bytes) = connection.answered(.text(.ok, "x"), now: 2, date: nil).first else { Issue.record("no write"); return }
        #expect(String(decoding: bytes, as: UTF8.self).contains("Connection: close\r\n"))
        #expect(connection.wroteAll(now: 3) == [.shutdownWrite])
        #expect(connection.receivedEndOfInput(now: 4) == [.close])
    }

    @Test func drain_closesIdleConnectionsAndAnswersTheOneInHandWithClose() {
        var idle = HTTPConnection(policy: Self.policy, now: 0)
        #expect(idle.drain(now: 1) == [.close])
        var busy = HTTPConnection(policy: Self.policy, now: 0)
        _ = busy.received(Self.bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), now: 1)
        #expect(busy.drain(now: 2).isEmpty)
        guard case .write(let bytes) = busy.answered(.text(.ok, "x"), now: 3, date: nil).first else { Issue.record("no write"); return }
        #expect(String(decoding: bytes, as: UTF8.self).contains("Connection: close\r\n"))
        #expect(busy.wroteAll(now: 4) == [.close])
    }

    @Test func handlingHasNoDeadline_soASlowHandlerIsNeverCutOff() {
        var connection = HTTPConnection(policy: Self.policy, now: 0)
        _ = connection.received(Self.bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), now: 1)
        #expect(connection.deadline == nil)
        #expect(connection.tick(now: 1_000_000).isEmpty)
        #expect(!connection.wantsInput)
    }
}

/// Serialisation: one buffer, framing owned by the server.
@Suite struct HTTPResponseSerializationTests {
    @Test func serialized_isHeadAndBodyInOneBuffer_withTheServersFraming() {
        var response = HTTPResponse.text(.ok, "hi")
        response.headers.add("Content-Length", "999")
        response.headers.add("X-Evil", "a\r\nSet-Cookie: b")
        let text = String(decoding: response.serialized(keepAlive: true, date: "Sun, 06 Nov 1994 08:49:37 GMT"), as: UTF8.self)
        #expect(text == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "X-Evil: a Set-Cookie: b\r\nContent-Length: 3\r\n\r\nhi\n")
    }

    @Test func noContent_hasNoLengthAndNoBody() {
        let text = String(decoding: HTTPResponse(status: .noContent, body: [1, 2]).serialized(keepAlive: false), as: UTF8.self)
        #expect(text == "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    }

    @Test func date_isIMFFixdate() {
        #expect(HTTPDate.format(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}

/// Routing: captures, 404, 405 with Allow, HEAD on GET routes.
@Suite struct HTTPRouterTests {
    static let router: HTTPRouter = {
        var router = HTTPRouter()
        router.add("GET", "/v1/queues/{queue}") { _, parameters in .text(.ok, "describe \(parameters["queue"] ?? "?")") }
        router.add("POST", "/v1/queues/{queue}/tasks") { _, parameters in .text(.accepted, "enqueue \(parameters["queue"] ?? "?")") }
        router.add("PUT", "/v1/queues/{queue}/tasks") { _, _ in .text(.ok, "put") }
        return router
    }()

    @Test func capture_isPassedToTheHandler() async {
        let response = await Self.router.respond(to: HTTPRequest(method: "POST", target: "/v1/queues/mail/tasks"))
        #expect(response.status == .accepted)
        #expect(String(decoding: response.body, as: UTF8.self) == "enqueue mail\n")
    }

    @Test func knownPathOtherMethod_is405WithAllow() async {
        let response = await Self.router.respond(to: HTTPRequest(method: "DELETE", target: "/v1/queues/mail/tasks"))
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers["Allow"] == "POST, PUT")
    }

    @Test func unknownPath_is404() async {
        #expect(await Self.router.respond(to: HTTPRequest(method: "GET", target: "/nope")).status == .notFound)
        #expect(await Self.router.respond(to: HTTPRequest(method: "GET", target: "/v1/queues")).status == .notFound)
    }

    @Test func head_isServedByTheGetRoute() async {
        #expect(await Self.router.respond(to: HTTPRequest(method: "HEAD", target: "/v1/queues/x?y=1")).status == .ok)
    }
}
