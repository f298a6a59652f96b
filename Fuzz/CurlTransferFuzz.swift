// libFuzzer target: how the worker reads an answer (CurlTransfer, in
// SluiceWorker): the head's lines, body chunks and progress reports libcurl
// hands over, in an order and with sizes the input chooses. Built by
// scripts/fuzz.sh.
//
// The input is a sequence of events: a byte picks the kind (header line,
// body chunk, progress) and the next bytes its content or size.
//
// Properties, each a trap when violated:
// - nothing traps;
// - the body kept is never over the limit; once it would be, the transfer
//   is cut (every later chunk refused) and the result is `.oversized`;
// - a head over 64 KiB is refused; a declared length over the limit is
//   refused as soon as its header line arrives;
// - the result's status is the last status line's, and an answer that was
//   not cut keeps its body byte for byte.
@testable import SluiceWorker
import SluiceProviders

private let limit = 4096

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCurlTransfer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let transfer = CurlTransfer(limit: limit) { false }
    var kept: [UInt8] = []
    var cut = false
    var index = 0
    while index < bytes.count {
        let kind = bytes[index] % 3
        let length = index + 1 < bytes.count ? Int(bytes[index + 1]) * 37 : 0
        index += 2
        switch kind {
        case 0: // a header line: up to the next newline in the input
            let end = bytes[min(index, bytes.count)...].firstIndex(of: 0x0A) ?? bytes.count
            let line = Array(bytes[min(index, bytes.count)..<end]) + [0x0D, 0x0A]
            index = end + 1
            let taken = line.withUnsafeBytes { transfer.receivedHeader($0) }
            require(taken == line.count || taken == 0, "a header callback takes all or nothing")
            if taken == 0 { cut = true }
        case 1: // a body chunk of `length` bytes
            let chunk = [UInt8](repeating: UInt8(truncatingIfNeeded: length), count: length)
            let taken = chunk.withUnsafeBytes { transfer.receivedBody($0) }
            if cut { require(taken == 0 || chunk.isEmpty, "a chunk was kept after the transfer was cut") }
            if taken == chunk.count { kept += chunk } else { cut = true }
        default: // progress: `length` × 64 bytes on the wire
            if transfer.progressed(total: 0, now: Int64(length) * 64) { cut = true }
        }
        require(transfer.body.count <= limit, "the body kept is over the limit")
        require(transfer.oversized == nil || transfer.body.isEmpty, "an oversized answer keeps no body")
    }
    switch transfer.result(code: 0, error: "") {
    case .answered(let response):
        require(!cut && transfer.oversized == nil, "a cut answer was reported whole")
        require(response.body == kept, "the body is what was delivered")
        require(response.status == transfer.status && response.status > 0, "the status is the last status line's")
    case .oversized:
        require(transfer.oversized != nil, "oversized without a reason")
    case .transportFailure:
        require(transfer.status == 0 && transfer.oversized == nil, "a transport failure with an answer")
        require(transfer.status == 0 || (100...599).contains(transfer.status), "a status outside 100…599")
    }
    return 0
}
