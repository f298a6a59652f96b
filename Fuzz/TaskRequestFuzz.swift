// libFuzzer target: a task as a client sends it (`TaskRequest(parsing:queue:)`,
// SluiceSpool), and the spool's own record of it. Built by scripts/fuzz.sh.
//
// Properties, each a trap when violated:
// - no input crashes the parser (it runs in the supervisor's ingest route);
// - a refusal names a field: "task", a field the document holds, or a
//   required one it lacks ("kind", "payload");
// - an accepted task obeys every field rule (building it from its values again
//   succeeds);
// - the record the spool writes for it parses back to the same record, and
//   writing that again gives the same bytes (parse → print → parse agrees).
//   The record keeps instants to the millisecond, so they are compared so.
@testable import SluiceSpool
import SluiceJSON
import SluiceCore

private let queue = try! QueueName(validating: "fuzz")
private let fallbackID = try! TaskID(validating: "fuzz-task")
/// A whole millisecond: the record's instants are written in milliseconds.
private let now: UInt64 = 1_763_715_600_123_000_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTaskRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let request: TaskRequest
    do {
        request = try TaskRequest(parsing: bytes, queue: queue)
    } catch {
        checkRefusal(error, of: bytes)
        return 0
    }
    checkRules(request)
    checkRecordRoundTrip(request)
    return 0
}

private func checkRefusal(_ error: TaskValidationError, of bytes: UnsafeBufferPointer<UInt8>) {
    require(!error.problem.isEmpty, "a refusal says what is wrong")
    guard error.field != "task" else { return }
    guard case .object(let object)? = try? JSONParser.parse(bytes) else {
        violated("a document that is not an object is refused as \"task\", not \"\(error.field)\"")
    }
    require(object.keys.contains(error.field) || ["kind", "payload"].contains(error.field),
                 "the refusal names \"\(error.field)\", which the document does not hold")
}

private func checkRules(_ request: TaskRequest) {
    do {
        let rebuilt = try TaskRequest(id: request.id, queue: request.queue, kind: request.kind, payload: request.payload,
                                      key: request.key, cost: request.cost, notBefore: request.notBefore,
                                      maxAttempts: request.maxAttempts)
        require(rebuilt == request, "building from the same values gives the same task")
    } catch {
        violated("an accepted task breaks a field rule: \(error)")
    }
}

private func checkRecordRoundTrip(_ request: TaskRequest) {
    var expected = TaskRecord(request: request, id: request.id ?? fallbackID, now: now)
    let written = expected.jsonBytes()
    let reread: TaskRecord
    do {
        reread = try TaskRecord(parsing: written)
    } catch {
        violated("the spool cannot read the record it wrote: \(error)")
    }
    expected.notBefore = expected.notBefore.map(wholeMilliseconds)
    expected.dueAt = wholeMilliseconds(expected.dueAt)
    require(reread == expected, "record → JSON → record changed the task")
    require(reread.jsonBytes() == written, "writing the re-read record gives other bytes")
}

private func wholeMilliseconds(_ nanoseconds: UInt64) -> UInt64 { nanoseconds / 1_000_000 * 1_000_000 }
