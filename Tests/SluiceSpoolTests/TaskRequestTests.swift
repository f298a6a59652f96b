import Testing
@testable import SluiceSpool
import SluiceCore

@Suite struct TaskRequestTests {
    let emails: QueueName

    init() throws { emails = try QueueName(validating: "emails") }

    func parse(_ text: String) throws(TaskValidationError) -> TaskRequest {
        try TaskRequest(parsing: Array(text.utf8), queue: emails)
    }

    @Test func fullTask_parsesEveryField() throws {
        let task = try parse(#"""
            {"id":"pay-7","queue":"emails","kind":"send_email","payload":{"to":"a@b.c","n":12.50,"tags":["x"]},
             "key":"+15550100","cost":300,"notBefore":"2025-11-21T10:00:00+01:00","maxAttempts":7}
            """#)
        #expect(task.id?.rawValue == "pay-7")
        #expect(task.kind == "send_email")
        #expect(task.payload["n"] == .number("12.50"), "numbers keep their text")
        #expect(task.key == "+15550100")
        #expect(task.cost == 300)
        #expect(task.notBefore == 1_763_715_600_000_000_000)
        #expect(task.maxAttempts == 7)
    }

    @Test func minimalTask_needsOnlyKindAndPayload() throws {
        let task = try parse(#"{"kind":"http","payload":{}}"#)
        #expect(task.id == nil && task.queue == emails && task.key == nil)
    }

    @Test(arguments: [
        // (input, field named, words the message must contain)
        (#"{"kind":"send_email"}"#, "payload", "missing"),
        (#"{"payload":{}}"#, "kind", "missing"),
        (#"{"kind":"Send Email","payload":{}}"#, "kind", "lowercase"),
        (#"{"kind":"x","payload":[]}"#, "payload", "an array"),
        (#"{"kind":"x","payload":{},"colour":"red"}"#, "colour", "not a task field"),
        (#"{"kind":"x","payload":{},"attempt":3}"#, "attempt", "set by the spool"),
        (#"{"kind":"x","payload":{},"id":"a/b"}"#, "id", "not a valid task id"),
        (#"{"kind":"x","payload":{},"id":""}"#, "id", "empty"),
        (#"{"kind":"x","payload":{},"queue":"payments"}"#, "queue", "does not match"),
        (#"{"kind":"x","payload":{},"cost":0}"#, "cost", "out of range"),
        (#"{"kind":"x","payload":{},"cost":1.5}"#, "cost", "whole number"),
        (#"{"kind":"x","payload":{},"cost":"3"}"#, "cost", "a string"),
        (#"{"kind":"x","payload":{},"maxAttempts":0}"#, "maxAttempts", "out of range"),
        (#"{"kind":"x","payload":{},"notBefore":"tomorrow"}"#, "notBefore", "RFC 3339"),
        // Found by the `task` fuzz target: this trapped (64-bit nanoseconds overflowed).
        (#"{"kind":"x","payload":{},"notBefore":"8636-02-29T00:00:00Z"}"#, "notBefore", "1970 to 2554"),
        (#"{"kind":"x","payload":{},"key":""}"#, "key", "limit key"),
        (#"{"kind":"x","payload":{"a":1,}}"#, "task", "not valid JSON"),
        (#"{"kind":"x","kind":"y","payload":{}}"#, "task", "appears twice"),
        (#"["kind"]"#, "task", "must be a JSON object"),
        ("", "task", "unexpected end"),
    ])
    func badTask_isRefusedNamingTheField(_ input: String, _ field: String, _ words: String) {
        do {
            _ = try parse(input)
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.field == field)
            #expect(error.description.hasPrefix("\(field): "))
            #expect(error.description.contains(words), "\(error)")
        }
    }

    @Test func taskOverOneMebibyte_isRefusedBeforeParsing() {
        let big = #"{"kind":"x","payload":{"blob":""# + String(repeating: "a", count: 1 << 20) + #""}}"#
        #expect { try parse(big) } throws: { ($0 as? TaskValidationError)?.description.contains("1 MiB") == true }
    }

    @Test(arguments: ["emails", "a", "stripe-api-2", String(repeating: "q", count: 64)])
    func validQueueNames_areAccepted(_ name: String) throws {
        #expect(try QueueName(validating: name).rawValue == name)
    }

    @Test(arguments: ["", "Emails", "e_mails", "e.mails", "a/b", String(repeating: "q", count: 65)])
    func invalidQueueNames_areRefusedNamingTheField(_ name: String) {
        #expect { try QueueName(validating: name) } throws: { "\($0)".hasPrefix("queue: ") }
    }
}
