/// Hand-made deflate streams (RFC 1951) in gzip wrappers (RFC 1952), for a
/// hostile upstream: the toolchain has no zlib, and these two shapes need none.
enum Deflate {
    /// A gzip body that decompresses to `decodedBytes` of `a`, about 158× its
    /// size: one literal, then length-258 distance-1 copies, fixed Huffman.
    static func gzipBomb(decodedBytes: Int) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)        // BFINAL
        bits.write(1, count: 2)        // BTYPE 01: fixed Huffman
        bits.writeHuffman(0x30 + 0x61, length: 8)  // literal "a"
        var produced = 1
        while produced + 258 <= decodedBytes {
            bits.writeHuffman(0b1100_0101, length: 8)  // length code 285: 258 bytes
            bits.writeHuffman(0, length: 5)            // distance code 0: 1 back
            produced += 258
        }
        while produced < decodedBytes {
            bits.writeHuffman(0x30 + 0x61, length: 8)
            produced += 1
        }
        bits.writeHuffman(0, length: 7)  // end of block (256)
        return gzip(deflated: bits.finished, crc: crc32(repeating: 0x61, count: decodedBytes), size: decodedBytes)
    }

    /// The start of a gzip body, and a chunk to repeat forever: empty stored
    /// blocks, five bytes each, that decompress to nothing at all.
    static func gzipOfNothing() -> (head: [UInt8], chunk: [UInt8]) {
        // BFINAL 0, BTYPE 00, padded to the byte; LEN 0, NLEN 0xFFFF.
        let block: [UInt8] = [0x00, 0x00, 0x00, 0xFF, 0xFF]
        return (gzipHeader, [UInt8]((0..<4096).flatMap { _ in block }))
    }

    private static let gzipHeader: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]

    private static func gzip(deflated: [UInt8], crc: UInt32, size: Int) -> [UInt8] {
        var output = gzipHeader + deflated
        for value in [crc, UInt32(truncatingIfNeeded: size)] {
            for shift in stride(from: 0, to: 32, by: 8) { output.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }
        return output
    }

    private static func crc32(repeating byte: UInt8, count: Int) -> UInt32 {
        var table = [UInt32](repeating: 0, count: 256)
        for index in 0..<256 {
            var value = UInt32(index)
            for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
            table[index] = value
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for _ in 0..<count { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// Bits packed least significant first, as deflate wants.
    private struct BitWriter {
        var bytes: [UInt8] = []
        private var current: UInt32 = 0
        private var filled = 0

        mutating func write(_ value: UInt32, count: Int) {
            for index in 0..<count { push((value >> UInt32(index)) & 1) }
        }

        /// Huffman codes go most significant bit first (RFC 1951 §3.1.1).
        mutating func writeHuffman(_ code: UInt32, length: Int) {
            for index in stride(from: length - 1, through: 0, by: -1) { push((code >> UInt32(index)) & 1) }
        }

        private mutating func push(_ bit: UInt32) {
            current |= bit << UInt32(filled)
            filled += 1
            if filled == 8 { flushByte() }
        }

        private mutating func flushByte() {
            bytes.append(UInt8(current))
            current = 0
            filled = 0
        }

        /// Pads the last byte with zeros.
        var finished: [UInt8] { filled == 0 ? bytes : bytes + [UInt8(current)] }
    }
}
