// libFuzzer target for the RESP parser (SluiceRedis). Built by scripts/fuzz.sh.
//
// Properties, each a trap when violated:
// - no input traps, and every refusal says why;
// - fed in two pieces split at every byte, and one byte at a time, the parser
//   returns the same replies (and the same error) as fed whole;
// - every reply, re-encoded, parses back to an equal value, and the encoding
//   is a fixed point (encode → parse → encode gives the same bytes).
import SluiceRedis

/// Small limits so the fuzzer reaches every one of them quickly.
private let limits = RESPLimits(maxBulkLength: 64, maxDepth: 8, maxReplyBytes: 512)

private struct Outcome: Equatable {
    var replies: [RESPValue] = []
    var error: RESPProtocolError.Kind?
    var midReply = false
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = parse(bytes, pieces: [bytes.count])
    // NaN is not equal to itself; such outcomes are compared by their encodings below.
    let comparable = whole.replies.allSatisfy { $0 == $0 }
    let bytewise = parse(bytes, pieces: Array(repeating: 1, count: bytes.count))
    require(!comparable || bytewise == whole, "one byte at a time disagrees with whole")
    for split in 0...bytes.count {
        let halves = parse(bytes, pieces: [split, bytes.count - split])
        require(!comparable || halves == whole, "split at \(split) disagrees with whole")
        require(encodings(halves.replies) == encodings(whole.replies), "split at \(split) encodes differently")
    }
    for reply in whole.replies { checkRoundTrip(reply) }
    return 0
}

private func parse(_ bytes: [UInt8], pieces: [Int]) -> Outcome {
    var parser = RESPParser(limits: limits)
    var outcome = Outcome()
    var offset = 0
    for size in pieces {
        parser.append(bytes[offset..<(offset + size)])
        offset += size
        do {
            while let reply = try parser.next() { outcome.replies.append(reply) }
        } catch {
            require(!error.detail.isEmpty, "a refusal says why")
            outcome.error = error.kind
            return outcome
        }
    }
    outcome.midReply = parser.isMidReply
    return outcome
}

private func encodings(_ replies: [RESPValue]) -> [[UInt8]] { replies.map { $0.encoded() } }

/// Re-encoded, a reply parses back equal (re-encoding can grow a reply, e.g.
/// `,1e5` → `,100000.0`, so the default limits read it back).
private func checkRoundTrip(_ reply: RESPValue) {
    let encoded = reply.encoded()
    var parser = RESPParser()
    parser.append(encoded)
    let reparsed: RESPValue?
    do {
        reparsed = try parser.next()
    } catch {
        violated("the encoding of a parsed reply is refused: \(error)")
    }
    guard let reparsed else { violated("the encoding of a parsed reply is incomplete") }
    require(parser.bufferedByteCount == 0, "the encoding holds more than one reply")
    require(reply != reply || reparsed == reply, "parse → encode → parse changed the value")
    require(reparsed.encoded() == encoded, "encoding is not a fixed point")
}
