import Testing
@testable import SluiceJSON

/// What a hostile client, task or provider can send the parser: size and
/// shape must cost linear time, and what the writer emits must be safe to
/// show on a terminal.
@Suite struct JSONHostileInputTests {
    private func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
    }

    /// `{"k0":0,"k1":0,…}` of about `bytes` bytes.
    private func objectOfKeys(_ bytes: Int) -> [UInt8] {
        var text: [UInt8] = [UInt8(ascii: "{")]
        var index = 0
        while text.count < bytes - 16 {
            if index > 0 { text.append(UInt8(ascii: ",")) }
            text.append(contentsOf: "\"k\(index)\":0".utf8)
            index += 1
        }
        return text + [UInt8(ascii: "}")]
    }

    @Test func parse_oneMebibyteOfKeys_takesLinearTimeNotQuadratic() throws {
        let small = objectOfKeys(128 << 10)
        let large = objectOfKeys(1 << 20)
        func time(_ bytes: [UInt8]) throws -> UInt64 {
            let start = ContinuousClock.now
            guard case .object(let object) = try JSONParser.parse(bytes) else { throw JSONSyntaxError(offset: 0, message: "not an object") }
            #expect(object.members.count > 10_000)
            return nanoseconds(ContinuousClock.now - start)
        }
        _ = try time(small)  // warm up
        let smallTime = try time(small)
        let largeTime = try time(large)
        // 8× the input: linear is ~8×; quadratic was ~64× (and 27 s for 80 k keys).
        #expect(largeTime < max(smallTime, 1_000_000) * 24, "128 KiB took \(smallTime / 1_000_000) ms, 1 MiB \(largeTime / 1_000_000) ms")
        // Even unoptimised (debug build, a shared machine) it is far from seconds.
        #expect(largeTime < 10_000_000_000, "1 MiB of keys took \(largeTime / 1_000_000) ms (quadratic: minutes)")
    }

    @Test func parse_duplicateKeyAmongManyKeys_isStillRefusedWithItsOffset() {
        var bytes = objectOfKeys(256 << 10)
        bytes.removeLast()
        let offset = bytes.count + 1
        bytes += Array(#","k7":1}"#.utf8)
        #expect(throws: JSONSyntaxError(offset: offset, message: "key \"k7\" appears twice")) { try JSONParser.parse(bytes) }
    }

    @Test func parse_oneMebibyteOfEscapes_isLinear() throws {
        let escapes = [UInt8](repeating: 0, count: 1 << 19).enumerated().flatMap { index, _ in index % 2 == 0 ? [UInt8(ascii: "\\")] : [UInt8(ascii: "n")] }
        let start = ContinuousClock.now
        let value = try JSONParser.parse([UInt8(ascii: "\"")] + escapes + [UInt8(ascii: "\"")])
        #expect(nanoseconds(ContinuousClock.now - start) < 2_000_000_000)
        #expect(value == .string(String(repeating: "\n", count: 1 << 18)))
    }

    @Test(arguments: ["\u{7f}", "\u{80}", "\u{9b}[31m", "\u{9f}", "\u{1b}[2J", "a\r\nb"])
    func write_controlCharacters_areEscapedAndReadBack(_ text: String) throws {
        let bytes = JSONWriter.bytes(.string(text))
        #expect(!bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }))
        #expect(!zip(bytes, bytes.dropFirst()).contains(where: { $0 == 0xC2 && (0x80...0x9F).contains($1) }), "no raw C1 control")
        #expect(try JSONParser.parse(bytes) == .string(text))
    }

    @Test func write_nonControlNonASCII_staysAsItIs() {
        #expect(JSONWriter.string(.string("é€\u{a0}😀")) == "\"é€\u{a0}😀\"")
    }
}
