import SluiceJSON
import SluicePOSIX

/// `sluice bench json`: how long the strict parser takes on the shapes a
/// hostile client or provider can send, each about 1 MiB.
///
/// The claim it backs (README, "Security"): parsing is linear in the input,
/// so 1 MiB of keys parses in milliseconds (it took 27 s for 80 k keys
/// while duplicates were found by scanning the members).
public struct JSONBench: Sendable {
    /// One input shape and its measured parse time.
    public struct Shape: Sendable {
        public let name: String
        public let bytes: Int
        /// Median of the runs, in nanoseconds.
        public let medianNanoseconds: UInt64
        public let slowestNanoseconds: UInt64
    }

    public var runs = 5
    /// Size of each input, in bytes (approximately; whole members only).
    public var inputBytes = 1 << 20

    public init() {}

    /// The inputs, built once: (name, bytes).
    public func inputs() -> [(String, [UInt8])] {
        [
            ("object, 1 MiB of keys", Self.objectOfKeys(bytes: inputBytes)),
            ("one 1 MiB string", Self.longString(bytes: inputBytes)),
            ("one string of escapes", Self.escapedString(bytes: inputBytes)),
            ("array of numbers", Self.arrayOfNumbers(bytes: inputBytes)),
            ("64 levels deep, 1 MiB wide", Self.deep(bytes: inputBytes)),
        ]
    }

    public func run() throws -> [Shape] {
        try inputs().map { name, bytes in
            var times: [UInt64] = []
            for _ in 0..<max(1, runs) {
                let start = MonotonicClock.now()
                _ = try JSONParser.parse(bytes)
                times.append(MonotonicClock.now() - start)
            }
            times.sort()
            return Shape(name: name, bytes: bytes.count, medianNanoseconds: times[times.count / 2], slowestNanoseconds: times[times.count - 1])
        }
    }

    public static func text(_ shapes: [Shape]) -> String {
        var lines = ["sluice bench json: JSONParser.parse on hostile shapes (median of runs; build with -c release)"]
        for shape in shapes {
            let label = shape.name + String(repeating: " ", count: max(1, 30 - shape.name.count))
            let kib = shape.bytes / 1024
            lines.append("  \(label)\(kib) KiB   \(milliseconds(shape.medianNanoseconds)) ms   (slowest \(milliseconds(shape.slowestNanoseconds)) ms)")
        }
        return lines.joined(separator: "\n")
    }

    public static func json(_ shapes: [Shape]) -> String {
        JSONWriter.string(.array(shapes.map { shape in
            .object([("shape", .string(shape.name)), ("bytes", .integer(shape.bytes)),
                     ("median_ms", .double(Double(shape.medianNanoseconds) / 1e6)),
                     ("slowest_ms", .double(Double(shape.slowestNanoseconds) / 1e6))])
        }))
    }

    private static func milliseconds(_ nanoseconds: UInt64) -> String {
        let hundredths = nanoseconds / 10_000
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    // MARK: Inputs

    /// `{"k0":0,"k1":0,…}`: distinct keys, the shape that was quadratic.
    public static func objectOfKeys(bytes: Int) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "{")]
        var index = 0
        while output.count < bytes - 16 {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: "\"k\(index)\":0".utf8)
            index += 1
        }
        output.append(UInt8(ascii: "}"))
        return output
    }

    static func longString(bytes: Int) -> [UInt8] {
        [UInt8(ascii: "\"")] + [UInt8](repeating: UInt8(ascii: "a"), count: bytes - 2) + [UInt8(ascii: "\"")]
    }

    static func escapedString(bytes: Int) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "\"")]
        let pieces: [[UInt8]] = [Array(#"\n"#.utf8), Array(#"\u00e9"#.utf8), Array(#"\ud83d\ude00"#.utf8), Array(#"\""#.utf8)]
        var index = 0
        while output.count < bytes - 16 {
            output.append(contentsOf: pieces[index % pieces.count])
            index += 1
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    static func arrayOfNumbers(bytes: Int) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "[")]
        var index = 0
        while output.count < bytes - 32 {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: "\(index).5e-3".utf8)
            index += 1
        }
        output.append(UInt8(ascii: "]"))
        return output
    }

    /// The deepest nesting allowed, with the rest of the bytes as keys at the bottom.
    static func deep(bytes: Int) -> [UInt8] {
        let levels = JSONParser.maximumDepth - 1
        var output = [UInt8](repeating: UInt8(ascii: "["), count: levels)
        output += objectOfKeys(bytes: bytes - 2 * levels)
        output += [UInt8](repeating: UInt8(ascii: "]"), count: levels)
        return output
    }
}
