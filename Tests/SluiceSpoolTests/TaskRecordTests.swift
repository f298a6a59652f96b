import Testing
@testable import SluiceSpool
import SluiceCore
import SluiceJSON

@Suite struct TaskRecordTests {
    @Test func record_roundTripsThroughItsJSONLine() throws {
        var payload = JSONObject()
        payload["text"] = .string("line1\nline2 \"quoted\" ✓ \u{1}")
        payload["n"] = .number("-1.5e3")
        payload["list"] = .array([.null, .bool(true), .object(JSONObject())])
        var request = try TaskRequest(queue: QueueName(validating: "q"), kind: "http", payload: payload, key: "k", cost: 9, maxAttempts: 3)
        request.notBefore = 1_763_717_400_250_000_000
        var record = TaskRecord(request: request, id: try TaskID(validating: "id-1"), now: 1_763_717_400_000_000_000)
        record.apply(.retry(dueAt: 1_763_717_460_000_000_000, error: "HTTP 503\nbody"), now: 1_763_717_401_000_000_000)
        let bytes = record.jsonBytes()
        #expect(!bytes.contains(0x0A), "one line")
        #expect(try TaskRecord(parsing: bytes) == record)
        #expect(record.lastError == "HTTP 503 body")
    }

    @Test func apply_onlyRetrySpendsAnAttempt() throws {
        let request = try TaskRequest(queue: QueueName(validating: "q"), kind: "http")
        let fresh = TaskRecord(request: request, id: TaskID.generate(), now: 0)
        for settlement in [Settlement.release, .complete, .deadLetter(reason: "no")] {
            var record = fresh
            record.apply(settlement, now: 1)
            #expect(record.attempt == 1, "\(settlement)")
        }
        var retried = fresh
        retried.apply(.retry(dueAt: 5, error: "e"), now: 1)
        #expect(retried.attempt == 2 && retried.dueAt == 5)
    }

    @Test func history_keepsOnlyTheLatestLines() throws {
        var record = TaskRecord(request: try TaskRequest(queue: QueueName(validating: "q"), kind: "http"), id: TaskID.generate(), now: 0)
        for attempt in 0..<(TaskRecord.maximumHistory + 10) { record.apply(.retry(dueAt: 0, error: "e\(attempt)"), now: 0) }
        #expect(record.history.count == TaskRecord.maximumHistory)
        #expect(record.history.last?.hasSuffix("e\(TaskRecord.maximumHistory + 9)") == true)
    }

    @Test(arguments: [#"{}"#, #"{"id":"a","queue":"q","kind":"k","payload":{},"attempt":0,"enqueuedAt":"2025-01-01T00:00:00Z","dueAt":"2025-01-01T00:00:00Z"}"#, "garbage"])
    func storedFileThatDoesNotParse_isAnErrorNamingWhy(_ text: String) {
        #expect(throws: TaskValidationError.self) { try TaskRecord(parsing: Array(text.utf8)) }
    }
}
