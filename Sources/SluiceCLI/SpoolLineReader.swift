import Glibc
import SluicePOSIX
import SluiceSpool

/// Reads NDJSON from a file descriptor one line at a time, numbering lines
/// from 1, without ever holding more than one line (capped a little above
/// the task size limit) in memory.
struct SpoolLineReader {
    struct Line {
        let number: Int
        /// The line's bytes, without the newline; cut at the cap if `tooLong`.
        let bytes: [UInt8]
        let tooLong: Bool
    }

    private let fd: Int32
    private let cap = TaskRequest.maximumSize + 1
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false
    private var number = 0

    init(fd: Int32) { self.fd = fd }

    /// The next line, or nil at the end of input.
    mutating func next() throws(SystemError) -> Line? {
        var line: [UInt8] = []
        var tooLong = false
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                append(buffer[start..<newline], to: &line, tooLong: &tooLong)
                start = newline + 1
                break
            }
            append(buffer[start...], to: &line, tooLong: &tooLong)
            buffer.removeAll(keepingCapacity: true)
            start = 0
            let more = ended ? false : try fill()
            if !more {
                ended = true
                if line.isEmpty && !tooLong { return nil }
                break
            }
        }
        number += 1
        return Line(number: number, bytes: line, tooLong: tooLong)
    }

    private func append(_ bytes: ArraySlice<UInt8>, to line: inout [UInt8], tooLong: inout Bool) {
        let room = cap - line.count
        if bytes.count > room { tooLong = true }
        line.append(contentsOf: bytes.prefix(max(0, room)))
    }

    /// Reads more input; false at the end.
    private mutating func fill() throws(SystemError) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        let count = try syscall("read(standard input)") { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
        buffer.append(contentsOf: chunk[..<count])
        return count > 0
    }
}
