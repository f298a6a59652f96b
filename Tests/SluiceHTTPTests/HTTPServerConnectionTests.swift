import Glibc
import SluiceHTTP
import Synchronization
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
        let server = HTTPServer(configuration: HTTPServerConfiguration(readTimeout: .milliseconds(800)), handler: echo)
        let port = try server.start().port
        defer { server.stop() }
        // One header byte every 50 ms: always making "progress", never finishing.
        let slow = Task {
            try await offPool { () throws -> (Int?, Double, Double) in
                let client = try TestHTTPConnection(port: port, timeout: 0.05)
                let started = milliseconds()
                client.send("GET / HTTP/1.1\r\n")
                for _ in 0..<100 {
                    client.send("X")
                    if let answer = client.readResponse() { return (answer.status, milliseconds(), milliseconds() - started) }
                }
                return (nil, milliseconds(), milliseconds() - started)
            }
        }
        // Meanwhile a well-behaved client is answered, again and again.
        let fast = try await offPool { () throws -> (firstAnswerAt: Double, latencies: [Double]) in
            let client = try TestHTTPConnection(port: port)
            var latencies: [Double] = []
            var firstAnswerAt = Double.infinity
            for index in 0..<25 {
                let before = milliseconds()
                client.send(TestHTTPConnection.requestBytes("GET", "/fast/\(index)"))
                if client.readResponse()?.status == 200 { firstAnswerAt = min(firstAnswerAt, milliseconds()) }
                latencies.append(milliseconds() - before)
                usleep(20_000)
            }
            return (firstAnswerAt, latencies.sorted())
        }
        let (status, closedAt, closedAfter) = try await slow.value
        #expect(status == 408)
        #expect(closedAfter >= 750 && closedAfter < 3_000, "closed after \(closedAfter) ms")
        // Not queued behind the slow client: answered while it was still open, and promptly
        // (the median, so a loaded 2-core box running every suite at once does not fail it).
        #expect(fast.firstAnswerAt < closedAt)
        #expect(fast.latencies[fast.latencies.count / 2] < 200, "median \(fast.latencies[fast.latencies.count / 2]) ms")
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
        // The handler holds its answer until the test has seen the server stop listening.
        let gate = Atomic<Bool>(false)
        let server = HTTPServer { request in
            while !gate.load(ordering: .acquiring) { try? await Task.sleep(for: .milliseconds(5)) }
            return await echo(request)
        }
        let port = try server.start().port
        let client = try TestHTTPConnection(port: port)
        client.send(TestHTTPConnection.requestBytes("GET", "/in-hand"))
        _ = try await offPool { ChildProcessRunner.waitUntil(seconds: 5) { server.statistics.requests == 1 } }
        let stopped = Task { try await offPool { server.stop() } }
        let refused = try await offPool {
            ChildProcessRunner.waitUntil(seconds: 5) { (try? TestHTTPConnection(port: port)) == nil }
        }
        gate.store(true, ordering: .releasing)
        let response = try await offPool { client.readResponse() }
        try await stopped.value
        #expect(refused)
        #expect(response?.status == 200)
        #expect(response?.header("Connection") == "close")
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
