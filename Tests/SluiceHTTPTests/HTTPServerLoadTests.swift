import SluiceHTTP
import SluiceTestSupport
import Testing

/// Many connections at once: every answer right, the cap on open connections held.
@Suite struct HTTPServerLoadTests {
    @Test func twoHundredConcurrentConnections_eachGetTheirOwnAnswers() async throws {
        let (wrong, openWhileHeld, openAfter) = try await withTestServer(handler: delayedEcho) { port, server in
            let clients = try (0..<200).map { _ in try TestHTTPConnection(port: port) }
            var wrong: [String] = []
            // Three rounds of keep-alive requests, all 200 connections in flight at once.
            for round in 0..<3 {
                for (index, client) in clients.enumerated() {
                    client.send(TestHTTPConnection.requestBytes("POST", "/c/\(index)?delay=\(index % 7)", body: Array("r\(round)".utf8)))
                }
                for (index, client) in clients.enumerated() {
                    let text = client.readResponse()?.text
                    if text != "POST /c/\(index)?delay=\(index % 7) r\(round)\n" { wrong.append("\(index): \(text ?? "none")") }
                }
            }
            let held = server.statistics.openConnections
            clients.forEach { $0.close() }
            _ = ChildProcessRunner.waitUntil(seconds: 5) { server.statistics.openConnections == 0 }
            return (wrong, held, server.statistics.openConnections)
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(openWhileHeld == 200)
        #expect(openAfter == 0)
    }

    @Test func connectionsBeyondTheCap_areRefusedWith503_andCapacityReturnsWhenOthersClose() async throws {
        let configuration = HTTPServerConfiguration(maxConnections: 50)
        let outcome = try await withTestServer(configuration) { port, server in
            let kept = try (0..<50).map { _ in try TestHTTPConnection(port: port) }
            _ = ChildProcessRunner.waitUntil(seconds: 5) { server.statistics.openConnections == 50 }
            let extra = try (0..<10).map { _ in try TestHTTPConnection(port: port) }
            let refusals = extra.map { ($0.readResponse()?.status, $0.waitForClose()) }
            let peak = server.statistics.peakOpenConnections
            // The kept ones still work.
            kept[0].send(TestHTTPConnection.requestBytes("GET", "/still"))
            let stillServed = kept[0].readResponse()?.status
            kept[40...].forEach { $0.close() }
            _ = ChildProcessRunner.waitUntil(seconds: 5) { server.statistics.openConnections == 40 }
            let later = try (0..<10).map { index in try TestHTTPConnection.request(port: port, "GET", "/later/\(index)")?.status }
            return (refusals, peak, stillServed, later, server.statistics.refusedConnections)
        }
        #expect(outcome.0.allSatisfy { $0.0 == 503 && $0.1 })
        #expect(outcome.1 == 50)
        #expect(outcome.2 == 200)
        #expect(outcome.3.allSatisfy { $0 == 200 })
        #expect(outcome.4 == 10)
    }
}
