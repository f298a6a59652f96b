// libFuzzer target for the HTTP request parser. Compiled with the parser's
// module, instrumented, by scripts/fuzz.sh (not by SwiftPM).
//
// Each input is parsed twice, whole and in pieces whose sizes come from the
// input itself; both must agree, and every invariant the parser promises is
// checked. A violation traps, which libFuzzer reports as a crash.
@testable import SluiceHTTP

/// Small limits so the fuzzer reaches every limit quickly.
private let limits = HTTPLimits(maxRequestLineBytes: 256, maxHeaderCount: 16, maxHeaderBytes: 1024, maxBodyBytes: 4096)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = parseAll(bytes, pieceSize: { _ in bytes.count })
    let step = Int(bytes.first ?? 1) % 13 + 1
    let pieces = parseAll(bytes, pieceSize: { index in (index * 7 + step) % 29 + 1 })
    require(whole == pieces, "whole and piecewise parsing disagree")
    return 0
}

/// What a connection would see: every request parsed from `bytes` in order,
/// then the final state (an error, or bytes left waiting for more).
private func parseAll(_ bytes: [UInt8], pieceSize: (Int) -> Int) -> [String] {
    var parser = HTTPRequestParser(limits: limits)
    var outcomes: [String] = []
    var buffer: [UInt8] = []
    var offset = 0
    var piece = 0
    while offset < bytes.count || !buffer.isEmpty {
        if offset < bytes.count {
            let end = min(bytes.count, offset + max(1, pieceSize(piece)))
            buffer.append(contentsOf: bytes[offset..<end])
            offset = end
            piece += 1
        }
        switch parser.parse(buffer[...]) {
        case .needMore:
            if offset >= bytes.count { return outcomes + ["needMore \(buffer.count)"] }
        case .request(let request, let consumed):
            check(request, consumed: consumed, available: buffer.count)
            outcomes.append("\(request.method) \(request.target) \(request.body.count) \(consumed)")
            buffer.removeFirst(consumed)
        case .error(let status, _):
            require((400..<600).contains(status.code), "an error status must be 4xx or 5xx")
            return outcomes + ["error \(status.code)"]
        }
    }
    return outcomes
}

private func check(_ request: HTTPRequest, consumed: Int, available: Int) {
    require(consumed > 0 && consumed <= available, "consumed must be within the buffer")
    require(!request.method.isEmpty, "a request has a method")
    require(request.path.hasPrefix("/") || request.path == "*", "a path starts with /")
    require(!request.path.contains("?"), "the path holds no query")
    require(request.body.count <= limits.maxBodyBytes, "the body is within the limit")
    require(request.headers.count <= limits.maxHeaderCount, "the header count is within the limit")
}
