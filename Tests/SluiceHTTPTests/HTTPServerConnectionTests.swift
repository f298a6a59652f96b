import SluiceHTTP
import SluiceTestSupport
import Testing

/// Keep-alive, pipelining, timeouts and shutdown, over real sockets.
@Suite struct HTTPServerConnectionTests {
    @Test func keepAlive_answersSequentialRequestsOnOneConnection() async throws {
        let (bodies, accepted) = try await withTestServer { port, server in
            let client = try TestHTTPConnection(port: port)
            var bodies: [String] = []
            for index in 0..<5 {
                client.send(TestHTTPConnection.requestBytes("POST", "/n/\(index)", body: Array("b\(index)".utf8)))
                bodies.append(client.readResponse()?.text ?? "none")
            }
            return (bodies, server.statistics.acceptedConnections)
        }
        #expect(bodies == (0..<5).map { "POST /n/\($0) b\($0)\n" })
        #expect(accepted == 1)
    }

    @Test func pipelinedRequests_areAnsweredInOrder_evenWhenLaterOnesAreFaster() async throws {
        let bodies = try await withTestServer(handler: delayedEcho) { port, _ in
            let client = try TestHTTPConnection(port: port)
            let paths = ["/a?delay=200", "/b?delay=0", "/c?delay=50", "/d"]
            client.send(paths.flatMap { TestHTTPConnection.requestBytes("GET", $0) })
            return paths.map { _ in client.readResponse()?.text ?? "none" }
        }
        #expect(bodies == ["GET /a?delay=200 \n", "GET /b?delay=0 \n", "GET /c?delay=50 \n", "GET /d \n"])
    }

    @Test func slowloris_isClosedAfterTheReadTimeout_withoutDelayingOthers() async throws {
        let configuration = HTTPServerConfiguration(readTimeout: .milliseconds(800))
        let (slow, fastWorst) = try await withTestServer(configuration) { port, _ in
            let slow = try TestHTTPConnection(port: port, timeout: 0.05)
            let started = milliseconds()
            slow.send("GET / HTTP/1.1\r\n")
            var status: Int?
            // One header byte every 50 ms: always making "progress", never finishing.
            var fastWorst = 0.0
            let fast = try TestHTTPConnection(port: port)
            for index in 0..<100 {
                slow.send("X")
                if let answer = slow.readResponse() { status = answer.status; break }
                let before = milliseconds()
                fast.send(TestHTTPConnection.requestBytes("GET", "/fast/\(index)"))
                _ = fast.readResponse()
                fastWorst = max(fastWorst, milliseconds() - before)
            }
            return ((status, milliseconds() - started), fastWorst)
        }
        #expect(slow.0 == 408)
        #expect(slow.1 >= 750 && slow.1 < 3_000, "closed after \(slow.1) ms")
        // Far below the slow client's 800 ms: nobody queues behind it (loose for a loaded 2-core box).
        #expect(fastWorst < 400, "a well-behaved client waited \(fastWorst) ms")
    }

    @Test func idleKeptAliveConnection_isClosedAfterTheIdleTimeout() async throws {
        let configuration = HTTPServerConfiguration(idleTimeout: .milliseconds(200))
        let (closed, elapsed, timedOut) = try await withTestServer(configuration) { port, server in
            let client = try TestHTTPConnection(port: port)
            client.send(TestHTTPConnection.requestBytes("GET", "/"))
            _ = client.readResponse()
            let started = milliseconds()
            let closed = client.waitForClose()
            return (closed, milliseconds() - started, server.statistics.timedOutConnections)
        }
        #expect(closed)
        #expect(elapsed >= 150 && elapsed < 1_500)
        #expect(timedOut == 1)
    }

    @Test func handlerDroppingTheConnection_closesItWithoutAnAnswer() async throws {
        let handler: HTTPHandler = { _ in .dropConnection }
        let (response, closed) = try await withTestServer(handler: handler) { port, _ in
            let client = try TestHTTPConnection(port: port)
            client.send(TestHTTPConnection.requestBytes("GET", "/"))
            return (client.readResponse(), client.waitForClose())
        }
        #expect(response == nil)
        #expect(closed)
    }

    @Test func handlerAskingToClose_answersWithConnectionClose() async throws {
        let handler: HTTPHandler = { _ in HTTPResponse(status: .ok, body: Array("bye".utf8), disposition: .close) }
        let (header, closed) = try await withTestServer(handler: handler) { port, _ in
            let client = try TestHTTPConnection(port: port)
            client.send(TestHTTPConnection.requestBytes("GET", "/"))
            return (client.readResponse()?.header("Connection"), client.waitForClose())
        }
        #expect(header == "close" && closed)
    }

    @Test func stop_answersTheRequestInHand_thenRefusesNewConnections() async throws {
        let server = HTTPServer(handler: delayedEcho)
        let port = try server.start().port
        let client = try TestHTTPConnection(port: port)
        client.send(TestHTTPConnection.requestBytes("GET", "/slow?delay=300"))
        try await Task.sleep(for: .milliseconds(50))
        let stopped = Task { try await offPool { server.stop() } }
        let response = try await offPool { client.readResponse() }
        try await stopped.value
        #expect(response?.status == 200)
        #expect(response?.header("Connection") == "close")
        #expect(throws: (any Error).self) { try TestHTTPConnection(port: port) }
    }

    @Test func portZero_bindsAFreeLoopbackPort() throws {
        let server = HTTPServer(handler: echo)
        let address = try server.start()
        defer { server.stop() }
        #expect(address.port != 0)
        #expect(address.host == "127.0.0.1")
        #expect(server.address == address)
    }
}
