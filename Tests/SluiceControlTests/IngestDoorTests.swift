import SluiceConfig
import SluiceHTTP
import Testing
@testable import SluiceControl

/// Ingest's door as the pure function it is (`ControlPlane.parseTasks`):
/// the status, the line and the bound on what one request may make the
/// listener build.
@Suite struct IngestDoorTests {
    static let stripe: QueueConfig = {
        let text = #"{"queues": {"stripe-api": {"provider": "stripe", "rate": "10/s"}}}"#
        guard let config = try? FleetConfig.parse(Array(text.utf8)), let queue = config.queues.first else { fatalError("the test's configuration") }
        return queue
    }()

    static func post(_ body: String, type: String? = "application/x-ndjson") -> HTTPRequest {
        HTTPRequest(method: "POST", target: "/v1/queues/stripe-api/tasks", headers: HTTPHeaders(type.map { [("Content-Type", $0)] } ?? []),
                    body: Array(body.utf8))
    }

    static let good = #"{"kind":"create_payment","payload":{"amount":1,"currency":"usd"}}"#

    @Test(arguments: ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonfoo", "\u{1b}[2J"])
    func anUnsupportedType_is415_withTheFix(_ type: String) throws {
        let error = try #require(throws: ControlError.self) {
            try ControlPlane.parseTasks(Self.post(Self.good, type: type), queue: Self.stripe, maximumBatchCount: 10)
        }
        #expect(error.status.code == 415)
        #expect(error.description.contains("send Content-Type: application/json for one task (curl: -H 'Content-Type: application/json')"))
        #expect(!error.description.contains("\u{1b}"))
    }

    @Test(arguments: ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", nil])
    func json_withOrWithoutParameters_isOneTask(_ type: String?) throws {
        #expect(try ControlPlane.parseTasks(Self.post(Self.good, type: type), queue: Self.stripe, maximumBatchCount: 10).count == 1)
    }

    @Test func aRefusedLine_isNamed_withTheDoorsWords() throws {
        let body = [Self.good, "", #"{"kind":"create_payment","payload":{"amount":1,"currency":"us"}}"#].joined(separator: "\n")
        let error = try #require(throws: ControlError.self) {
            try ControlPlane.parseTasks(Self.post(body), queue: Self.stripe, maximumBatchCount: 10)
        }
        #expect(error == .badRequest(#"line 3: payload.currency: "us" is not a currency; use a three-letter ISO code such as "usd"; nothing was queued"#))
    }

    /// Lines whose forms are each far larger than they are: refused as a
    /// whole once the bodies built for the request pass the bound.
    @Test func formsThatBalloon_areBoundedAcrossTheBatch() throws {
        let key = String(repeating: "k", count: 1000)
        let line = #"{"kind":"create_payment","payload":{"amount":1,"currency":"usd","m":{"\#(key)":[\#(Array(repeating: "1", count: 300).joined(separator: ","))]}}}"#
        let body = Array(repeating: line, count: 20).joined(separator: "\n")
        // Each line (~1.6 kB) builds a ~300 kB form: 20 of them pass 4 MiB at line 14.
        let error = try #require(throws: ControlError.self) {
            try ControlPlane.parseTasks(Self.post(body), queue: Self.stripe, maximumBatchCount: 100, maximumBatchRequestBytes: 4 << 20)
        }
        #expect(error.status.code == 413)
        #expect(error.description.hasPrefix("line 14: the requests built so far for this batch hold over 4 MiB"), "\(error)")
        #expect(try ControlPlane.parseTasks(Self.post(Array(repeating: line, count: 5).joined(separator: "\n")), queue: Self.stripe,
                                            maximumBatchCount: 100, maximumBatchRequestBytes: 4 << 20).count == 5)
    }
}
