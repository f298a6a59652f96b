import Glibc
import SluiceHTTP
import SluiceTestSupport
import Synchronization
import Testing

/// Head before body, over real sockets: a request is screened on its head
/// and its body's length reserved from a budget shared by all connections
/// before a body byte is awaited; over the connection cap, probes still answer.
@Suite struct HTTPHeadFirstTests {
    /// Refuses anything without `Authorization: Bearer ok`.
    static let tokenScreen: HTTPHeadScreen = { head, _ in
        head.headers["Authorization"] == "Bearer ok" ? nil : .text(.unauthorized, "token required")
    }

    @Test func aRefusedHead_isAnsweredAtOnce_andItsBodyNeverAwaited() async throws {
        let handled = Atomic<Int>(0)
        let server = HTTPServer(configuration: HTTPServerConfiguration(), screen: Self.tokenScreen) { request in
            handled.add(1, ordering: .relaxed)
            return .text(.ok, "\(request.body.count)")
        }
        let port = try server.start().port
        defer { server.stop() }
        let (status, statistics) = try await offPool { () throws -> (Int?, HTTPServerStatistics) in
            let client = try TestHTTPConnection(port: port, timeout: 2)
            // The head announces 8 MiB; not one byte of it is sent.
            client.send("POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 8388608\r\n\r\n")
            let answer = client.readResponse()
            return (answer?.status, server.statistics)
        }
        #expect(status == 401, "answered on the head, without waiting for the body")
        #expect(handled.load(ordering: .relaxed) == 0)
        #expect(statistics.bufferedBodyBytes == 0)
    }

    @Test func anAdmittedHead_hasItsBodyRead_andAnExpectationIsRefusedWithoutContinue() async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(), screen: Self.tokenScreen) { .text(.ok, "\($0.bodyText)") }
        let port = try server.start().port
        defer { server.stop() }
        let (admitted, refused) = try await offPool { () throws -> (String?, [Int]) in
            let good = try TestHTTPConnection(port: port, timeout: 2)
            good.send(TestHTTPConnection.requestBytes("POST", "/v1/x", headers: [("Authorization", "Bearer ok")], body: Array("hello".utf8)))
            let bad = try TestHTTPConnection(port: port, timeout: 2)
            bad.send("POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            var statuses: [Int] = []
            while let answer = bad.readResponse() { statuses.append(answer.status) }
            return (good.readResponse()?.text, statuses)
        }
        #expect(admitted == "hello\n")
        #expect(refused == [401], "no 100 Continue for a refused head")
    }

    @Test func theBodyBudget_isSharedAcrossConnections_andA503LeavesTheBodyUnread() async throws {
        let release = Atomic<Bool>(false)
        let configuration = HTTPServerConfiguration(limits: HTTPLimits(maxBodyBytes: 1 << 20), maxBufferedBodyBytes: 1 << 20)
        let server = HTTPServer(configuration: configuration) { request in
            while !release.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(5)) }
            return .text(.ok, "\(request.body.count)")
        }
        let port = try server.start().port
        defer { server.stop() }
        let outcome = try await offPool { () throws -> (Int?, String?, Int?, Int, Int?) in
            let holder = try TestHTTPConnection(port: port, timeout: 5)
            holder.send(TestHTTPConnection.requestBytes("POST", "/a", body: [UInt8](repeating: 0x61, count: 700 << 10)))
            _ = ChildProcessRunner.waitUntil(seconds: 5) { server.statistics.requests == 1 }
            let held = server.statistics.bufferedBodyBytes
            // 700 KiB are held; 400 more do not fit in 1 MiB.
            let second = try TestHTTPConnection(port: port, timeout: 5)
            second.send("POST /b HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 409600\r\n\r\n")
            let refused = second.readResponse()
            release.store(true, ordering: .relaxed)
            let first = holder.readResponse()?.text
            let third = try TestHTTPConnection(port: port, timeout: 5)
            third.send(TestHTTPConnection.requestBytes("POST", "/c", body: [UInt8](repeating: 0x62, count: 400 << 10)))
            return (refused?.status, refused?.header("Retry-After"), third.readResponse()?.status, held, first.map { _ in 1 })
        }
        #expect(outcome.0 == 503 && outcome.1 == "1", "the second body does not fit the budget: 503, Retry-After")
        #expect(outcome.3 == 700 << 10, "the first request's body is what the budget holds")
        #expect(outcome.2 == 200, "once the first is answered, the budget is free again")
    }

    @Test func overTheConnectionCap_probesAreAnswered_andEverythingElseGets503() async throws {
        let configuration = HTTPServerConfiguration(maxConnections: 2, priorityConnections: 2, priorityPaths: ["/healthz"])
        let server = HTTPServer(configuration: configuration) { request in .text(.ok, request.path) }
        let port = try server.start().port
        defer { server.stop() }
        let statuses = try await offPool { () throws -> [Int?] in
            let idle = try (0..<2).map { _ in try TestHTTPConnection(port: port, timeout: 2) }
            _ = ChildProcessRunner.waitUntil(seconds: 2) { server.statistics.openConnections == 2 }
            var statuses: [Int?] = []
            for path in ["/healthz", "/other", "/healthz"] {
                let client = try TestHTTPConnection(port: port, timeout: 2)
                client.send(TestHTTPConnection.requestBytes("GET", path))
                statuses.append(client.readResponse()?.status)
                #expect(client.waitForClose(), "a connection over the cap is closed after its answer")
            }
            // Both priority places held by idle connections.
            let holders = try (0..<2).map { _ in try TestHTTPConnection(port: port, timeout: 2) }
            _ = ChildProcessRunner.waitUntil(seconds: 2) { server.statistics.openConnections == 4 }
            let over = try TestHTTPConnection(port: port, timeout: 2)
            over.send(TestHTTPConnection.requestBytes("GET", "/healthz"))
            statuses.append(over.readResponse()?.status)
            _ = (idle, holders)
            return statuses
        }
        // The two holders sit idle in the priority places: the newest connection takes one.
        #expect(statuses == [200, 503, 200, 200])
    }
}

/// At the cap, idle connections yield to new ones (when configured), and a
/// flood of priority connections cannot keep a probe out: the newest wins.
@Suite struct HTTPConnectionCapTests {
    @Test func atTheCap_theOldestIdleConnectionMakesRoom_andBusyOnesAreKept() async throws {
        let configuration = HTTPServerConfiguration(maxConnections: 20, closesIdleAtCap: true)
        let outcome = try await withTestServer(configuration, handler: delayedEcho) { port, server in
            // One connection busy with a slow request, nineteen idle.
            let busy = try TestHTTPConnection(port: port)
            busy.send(TestHTTPConnection.requestBytes("GET", "/slow?delay=1000"))
            let idle = try (0..<19).map { _ in try TestHTTPConnection(port: port, timeout: 1) }
            _ = ChildProcessRunner.waitUntil(seconds: 5) { server.statistics.openConnections == 20 }
            // Newcomers keep their connections: the cap stays full, each one takes an idle one's place.
            var newcomers: [TestHTTPConnection] = []
            var statuses: [Int?] = []
            for index in 0..<25 {
                let client = try TestHTTPConnection(port: port, timeout: 2)
                client.send(TestHTTPConnection.requestBytes("GET", "/new/\(index)"))
                statuses.append(client.readResponse()?.status)
                newcomers.append(client)
            }
            let slow = busy.readResponse()?.status
            return (statuses, slow, idle.filter { $0.waitForClose() }.count, server.statistics.evictedConnections, server.statistics.openConnections)
        }
        #expect(outcome.0.allSatisfy { $0 == 200 }, "every newcomer is served: \(outcome.0)")
        #expect(outcome.1 == 200, "the busy connection was not closed")
        #expect(outcome.2 == 19, "the idle ones made room")
        #expect(outcome.3 == 25 && outcome.4 <= 20)
    }

    @Test func priorityPlacesHeldByIdleConnections_yieldToAProbe() async throws {
        let configuration = HTTPServerConfiguration(maxConnections: 2, priorityConnections: 3, priorityPaths: ["/healthz"])
        let statuses = try await withTestServer(configuration) { port, server in
            let held = try (0..<5).map { _ in try TestHTTPConnection(port: port) }
            _ = ChildProcessRunner.waitUntil(seconds: 2) { server.statistics.openConnections == 5 }
            var statuses: [Int?] = []
            for _ in 0..<3 {
                let probe = try TestHTTPConnection(port: port, timeout: 2)
                probe.send(TestHTTPConnection.requestBytes("GET", "/healthz"))
                statuses.append(probe.readResponse()?.status)
            }
            _ = held
            return statuses
        }
        #expect(statuses == [200, 200, 200])
    }
}
