// libFuzzer target: one connection's state machine (HTTPConnection) with a
// head screen and a body budget, the path every request to the control
// plane takes. Built by scripts/fuzz.sh.
//
// The input is the bytes a client sends; the first byte also picks the body
// budget (64…16,384 bytes). The screen refuses a head whose path contains
// "deny" or that carries "X-Deny". Each input runs twice, whole and in
// pieces whose sizes come from the input; a dispatched request is answered
// at once.
//
// Properties, each a trap when violated:
// - every request is screened, once, before it is dispatched; a refused one
//   is never dispatched, and nothing is dispatched after a refusal (the
//   connection closes);
// - a request is dispatched only with its declared length held from the
//   budget; the budget never goes over its capacity and is all given back
//   when the connection ends;
// - a refusal answers with the screen's status (or 503 for the budget) and
//   reads no further request;
// - whole and piecewise delivery screen, refuse and dispatch the same.
@testable import SluiceHTTP

private let limits = HTTPLimits(maxRequestLineBytes: 256, maxHeaderCount: 16, maxHeaderBytes: 1024, maxBodyBytes: 32768)

/// What the screen saw, in order (the fuzz run is single-threaded).
private final class ScreenLog: @unchecked Sendable {
    var screened: [String] = []
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPHeadFirst(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let capacity = 64 << Int(first % 9)
    let whole = run(bytes, capacity: capacity, pieceSize: { _ in bytes.count })
    let step = Int(first) % 13 + 1
    let pieces = run(bytes, capacity: capacity, pieceSize: { index in (index * 7 + step) % 31 + 1 })
    require(whole == pieces, "whole and piecewise delivery disagree:\n\(whole)\n\(pieces)")
    return 0
}

/// Drives one connection through `bytes`; returns what happened, as lines.
private func run(_ bytes: [UInt8], capacity: Int, pieceSize: (Int) -> Int) -> [String] {
    let log = ScreenLog()
    let budget = HTTPBodyBudget(capacity: capacity)
    let screen: HTTPHeadScreen = { head, length in
        log.screened.append("\(head.method) \(head.path) \(length)")
        let denied = head.path.contains("deny") || head.headers.contains("X-Deny")
        return denied ? .text(.forbidden, "denied") : nil
    }
    let policy = HTTPConnection.Policy(limits: limits, idleTimeout: 1_000, readTimeout: 1_000, writeTimeout: 1_000, lingerTimeout: 10,
                                       screen: screen, bodyBudget: budget)
    var connection = HTTPConnection(policy: policy, now: 0)
    var events: [String] = []
    var refused = false
    var offset = 0
    var piece = 0
    func perform(_ actions: [HTTPConnection.Action]) {
        var queue = actions
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case .dispatch(let request):
                require(!refused, "a request was dispatched after a refusal")
                require(log.screened.last == "\(request.method) \(request.path) \(request.body.count)", "dispatched without being screened last")
                require(!request.path.contains("deny") && !request.headers.contains("X-Deny"), "a refused head was dispatched")
                require(connection.heldBudget == request.body.count, "dispatched without its body's length held")
                require(budget.used <= budget.capacity, "the budget went over its capacity")
                events.append("dispatch \(request.method) \(request.path) \(request.body.count)")
                queue += connection.answered(.text(.ok, "ok"), now: 2, date: nil)
                require(budget.used == 0, "an answered request kept its budget")
            case .write(let answer):
                let status = String(decoding: answer.prefix(12), as: UTF8.self)
                if !status.hasPrefix("HTTP/1.1 200") {
                    events.append("refuse \(status)")
                    refused = true
                    require(budget.used == 0, "a refusal kept budget")
                }
                queue += connection.wroteAll(now: 3)
            case .writeIfPossible:
                require(!refused, "100 Continue after a refusal")
            case .shutdownWrite, .close:
                events.append("\(action)")
            }
        }
    }
    while offset < bytes.count, connection.wantsInput, !refused {
        let end = min(bytes.count, offset + max(1, pieceSize(piece)))
        perform(connection.received(bytes[offset..<end], now: 1))
        offset = end
        piece += 1
    }
    perform(connection.closeNow())
    require(budget.used == 0, "the budget was not all given back when the connection ended")
    require(Set(log.screened).count <= log.screened.count, "screen log")
    return events + log.screened.map { "screened \($0)" }
}
