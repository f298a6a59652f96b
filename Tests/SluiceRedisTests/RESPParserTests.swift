import Testing
@testable import SluiceRedis

/// The parser as data: bytes in, replies (and the error, if any) out. Every
/// row is also fed one byte at a time and split in two at every byte, and
/// each way must give the same outcome as the whole.
@Suite struct RESPParserTests {
    struct Outcome: Equatable, CustomStringConvertible {
        var replies: [RESPValue] = []
        var error: RESPProtocolError.Kind?
        var midReply = false
        var description: String { "\(replies) error: \(String(describing: error)) midReply: \(midReply)" }
    }

    struct Row: CustomTestStringConvertible, Sendable {
        let why: String
        let input: [UInt8]
        let replies: [RESPValue]
        let error: RESPProtocolError.Kind?
        let midReply: Bool
        let limits: RESPLimits
        var testDescription: String { why }

        init(_ why: String, _ input: String, _ replies: [RESPValue], error: RESPProtocolError.Kind? = nil,
             midReply: Bool = false, limits: RESPLimits = RESPLimits()) {
            self.init(why, Array(input.utf8), replies, error: error, midReply: midReply, limits: limits)
        }

        init(_ why: String, _ input: [UInt8], _ replies: [RESPValue], error: RESPProtocolError.Kind? = nil,
             midReply: Bool = false, limits: RESPLimits = RESPLimits()) {
            self.why = why
            self.input = input
            self.replies = replies
            self.error = error
            self.midReply = midReply
            self.limits = limits
        }

        var expected: Outcome { Outcome(replies: replies, error: error, midReply: midReply) }
    }

    static let small = RESPLimits(maxBulkLength: 16, maxDepth: 3, maxReplyBytes: 64)

    static let rows: [Row] = [
        // RESP2
        Row("a simple string", "+OK\r\n", [.simpleString("OK")]),
        Row("an empty simple string", "+\r\n", [.simpleString("")]),
        Row("an error", "-ERR unknown command 'FOO'\r\n", [.error("ERR unknown command 'FOO'")]),
        Row("zero", ":0\r\n", [.integer(0)]),
        Row("a negative integer", ":-42\r\n", [.integer(-42)]),
        Row("a plus sign", ":+7\r\n", [.integer(7)]),
        Row("the largest integer", ":9223372036854775807\r\n", [.integer(.max)]),
        Row("the smallest integer", ":-9223372036854775808\r\n", [.integer(.min)]),
        Row("one past the largest integer", ":9223372036854775808\r\n", [], error: .malformed),
        Row("an empty integer", ":\r\n", [], error: .malformed),
        Row("a space in an integer", ": 1\r\n", [], error: .malformed),
        Row("a fraction where an integer goes", ":1.5\r\n", [], error: .malformed),
        Row("a bulk string", "$5\r\nhello\r\n", [.bulkString(Array("hello".utf8))]),
        Row("an empty bulk string", "$0\r\n\r\n", [.bulkString([])]),
        Row("a bulk string holding CRLF, NUL and 0xFF", [36, 52, 13, 10, 13, 10, 0, 255, 13, 10], [.bulkString([13, 10, 0, 255])]),
        Row("the null bulk string", "$-1\r\n", [.null]),
        Row("a length of -2", "$-2\r\n", [], error: .malformed),
        Row("a bulk string not followed by CRLF", "$2\r\nabcd\r\n", [], error: .malformed),
        Row("a bulk string still arriving", "$5\r\nhel", [], midReply: true),
        Row("an array", "*2\r\n$1\r\na\r\n:1\r\n", [.array([.bulkString([97]), .integer(1)])]),
        Row("an empty array", "*0\r\n", [.array([])]),
        Row("the null array", "*-1\r\n", [.null]),
        Row("nested arrays", "*2\r\n*1\r\n+a\r\n*0\r\n", [.array([.array([.simpleString("a")]), .array([])])]),
        Row("nulls inside an array", "*3\r\n$-1\r\n*-1\r\n_\r\n", [.array([.null, .null, .null])]),
        Row("an array still arriving", "*3\r\n:1\r\n:2\r\n", [], midReply: true),
        Row("two replies in one read", "+OK\r\n:1\r\n", [.simpleString("OK"), .integer(1)]),
        Row("a reply, then part of the next", "+OK\r\n$3\r\nab", [.simpleString("OK")], midReply: true),
        // RESP3
        Row("a map", "%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n",
            [.map([RESPPair(.simpleString("a"), .integer(1)), RESPPair(.simpleString("b"), .integer(2))])]),
        Row("an empty map", "%0\r\n", [.map([])]),
        Row("a set", "~2\r\n+a\r\n+b\r\n", [.set([.simpleString("a"), .simpleString("b")])]),
        Row("a double", ",1.5\r\n", [.double(1.5)]),
        Row("a double with an exponent", ",1e+300\r\n", [.double(1e300)]),
        Row("a whole double", ",-3\r\n", [.double(-3)]),
        Row("infinity", ",inf\r\n", [.double(.infinity)]),
        Row("negative infinity", ",-inf\r\n", [.double(-.infinity)]),
        Row("a double that is not one", ",1.5.2\r\n", [], error: .malformed),
        Row("a hexadecimal double", ",0x1p3\r\n", [], error: .malformed),
        Row("true", "#t\r\n", [.boolean(true)]),
        Row("false", "#f\r\n", [.boolean(false)]),
        Row("a boolean that is not one", "#x\r\n", [], error: .malformed),
        Row("null", "_\r\n", [.null]),
        Row("a null with content", "_x\r\n", [], error: .malformed),
        Row("a big number", "(3492890328409238509324850943850943825024385\r\n", [.bigNumber("3492890328409238509324850943850943825024385")]),
        Row("a negative big number", "(-1\r\n", [.bigNumber("-1")]),
        Row("a big number with a letter", "(12a\r\n", [], error: .malformed),
        Row("a verbatim string", "=15\r\ntxt:Some string\r\n", [.verbatimString(format: "txt", text: Array("Some string".utf8))]),
        Row("a verbatim string too short for its format", "=3\r\ntxt\r\n", [], error: .malformed),
        Row("a verbatim string without the colon", "=8\r\ntxt-abcd\r\n", [], error: .malformed),
        Row("a push", ">2\r\n+message\r\n+hi\r\n", [.push([.simpleString("message"), .simpleString("hi")])]),
        Row("a blob error", "!21\r\nSYNTAX invalid syntax\r\n", [.error("SYNTAX invalid syntax")]),
        Row("an attribute is dropped, its value kept", "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.5\r\n*1\r\n:2\r\n",
            [.array([.integer(2)])]),
        Row("an attribute inside an array", "*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n", [.array([.integer(1), .integer(2)])]),
        Row("an empty attribute", "|0\r\n:5\r\n", [.integer(5)]),
        // Not RESP at all
        Row("an unknown type byte", "?x\r\n", [], error: .unknownType(63)),
        Row("an HTTP answer (a wrong port)", "HTTP/1.1 400 Bad Request\r\n", [], error: .unknownType(72)),
        Row("a reply, then garbage", "+OK\r\n\r\n", [.simpleString("OK")], error: .unknownType(13)),
        Row("a streamed string (RESP3 $?) is not supported", "$?\r\n;4\r\nHell\r\n;0\r\n", [], error: .malformed),
        // Limits (small ones: bulk 16 bytes, depth 3, 64 bytes a reply)
        Row("a bulk at the cap", "$16\r\n0123456789abcdef\r\n", [.bulkString(Array("0123456789abcdef".utf8))], limits: small),
        Row("a bulk over the cap is refused from its header", "$17\r\n", [], error: .bulkTooLong, limits: small),
        Row("a line over the cap is refused before it ends", "+" + String(repeating: "a", count: 20), [], error: .bulkTooLong, limits: small),
        Row("a line at the cap", "+" + String(repeating: "a", count: 16) + "\r\n", [.simpleString(String(repeating: "a", count: 16))], limits: small),
        // Found by the fuzzer: whole, this was "malformed"; a byte at a time, "bulkTooLong".
        Row("a complete line over the cap is refused the same way", "#" + String(repeating: "a", count: 17) + "\r\n", [],
            error: .bulkTooLong, limits: small),
        Row("nesting at the limit", "*1\r\n*1\r\n*1\r\n:1\r\n", [.array([.array([.array([.integer(1)])])])], limits: small),
        Row("nesting over the limit", "*1\r\n*1\r\n*1\r\n*1\r\n", [], error: .tooDeep, limits: small),
        Row("an attribute counts as a level", "*1\r\n*1\r\n|0\r\n*1\r\n", [], error: .tooDeep, limits: small),
        Row("a count that cannot fit is refused from its header", "*22\r\n", [], error: .replyTooLarge, limits: small),
        Row("a map's count counts twice", "%11\r\n", [], error: .replyTooLarge, limits: small),
        Row("many small bulks over the reply cap", "*3\r\n$16\r\n0123456789abcdef\r\n$16\r\n0123456789abcdef\r\n$16\r\n",
            [], error: .replyTooLarge, limits: small),
        Row("the reply cap is per reply", "$16\r\n0123456789abcdef\r\n$16\r\n0123456789abcdef\r\n$16\r\n0123456789abcdef\r\n",
            Array(repeating: .bulkString(Array("0123456789abcdef".utf8)), count: 3), limits: small),
        Row("a huge count with the default limits", "*2147483647\r\n", [], error: .replyTooLarge),
        Row("a huge length with the default limits", "$9223372036854775807\r\n", [], error: .bulkTooLong),
        Row("a count past 64 bits", "*9223372036854775808\r\n", [], error: .malformed),
    ]

    @Test(arguments: rows)
    func parses(_ row: Row) {
        let whole = Self.parse(row.input, limits: row.limits, pieces: [row.input.count])
        #expect(whole == row.expected, "whole")
        let bytewise = Self.parse(row.input, limits: row.limits, pieces: Array(repeating: 1, count: row.input.count))
        #expect(bytewise == row.expected, "one byte at a time")
        for split in 0...row.input.count {
            let halves = Self.parse(row.input, limits: row.limits, pieces: [split, row.input.count - split])
            #expect(halves == row.expected, "split at byte \(split)")
        }
    }

    @Test(arguments: rows.filter { $0.error == nil && !$0.midReply })
    func encodedRepliesParseBackEqual(_ row: Row) {
        for reply in row.replies {
            let again = Self.parse(reply.encoded(), limits: RESPLimits(), pieces: [reply.encoded().count])
            #expect(again == Outcome(replies: [reply]))
        }
    }

    @Test func nan_parsesAsNaN() throws {
        var parser = RESPParser()
        parser.append(Array(",nan\r\n".utf8))
        guard case .double(let value)? = try parser.next() else {
            Issue.record("not a double")
            return
        }
        #expect(value.isNaN)
    }

    @Test func afterAnError_everyNextThrowsTheSame() {
        var parser = RESPParser()
        parser.append(Array("?\r\n+OK\r\n".utf8))
        #expect(throws: RESPProtocolError.self) { try parser.next() }
        parser.append(Array("+OK\r\n".utf8))
        #expect(throws: RESPProtocolError.self) { try parser.next() }
    }

    @Test func errorMessages_nameTheLimitAndItsSetting() {
        var parser = RESPParser()
        parser.append(Array("$100000000\r\n".utf8))
        do {
            _ = try parser.next()
            Issue.record("accepted a bulk over the cap")
        } catch {
            #expect(error.description.contains("100000000"))
            #expect(error.description.contains("67108864"))
            #expect(error.description.contains("RESPLimits.maxBulkLength"))
        }
    }

    @Test func aLargeBulkInSmallPieces_isParsedOnceComplete() throws {
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let wire = RESPValue.bulkString(payload).encoded()
        var parser = RESPParser()
        var replies: [RESPValue] = []
        var offset = 0
        while offset < wire.count {
            let end = min(wire.count, offset + 4096)
            parser.append(wire[offset..<end])
            offset = end
            while let reply = try parser.next() { replies.append(reply) }
        }
        #expect(replies == [.bulkString(payload)])
        #expect(parser.bufferedByteCount == 0)
        #expect(!parser.isMidReply)
    }

    @Test func manyElementsAndDeepNesting_withTheDefaultLimits() throws {
        let wide = Array("*100000\r\n".utf8) + Array(repeating: Array(":1\r\n".utf8), count: 100_000).flatMap { $0 }
        let parsedWide = Self.parse(wide, limits: RESPLimits(), pieces: stride(from: 0, to: wide.count, by: 4096).map { min(4096, wide.count - $0) })
        #expect(parsedWide.replies.first?.elements?.count == 100_000)
        let nested = { (depth: Int) in Array(repeating: Array("*1\r\n".utf8), count: depth).flatMap { $0 } + Array(":1\r\n".utf8) }
        #expect(Self.parse(nested(64), limits: RESPLimits(), pieces: [nested(64).count]).replies.count == 1)
        #expect(Self.parse(nested(65), limits: RESPLimits(), pieces: [nested(65).count]).error == .tooDeep)
    }

    @Test func integers_areStrict() {
        let cases: [(String, Int64?)] = [
            ("0", 0), ("-0", 0), ("+0", 0), ("12", 12), ("-9223372036854775808", .min), ("9223372036854775807", .max),
            ("9223372036854775808", nil), ("-9223372036854775809", nil), ("", nil), ("-", nil), ("+", nil),
            (" 1", nil), ("1 ", nil), ("1e3", nil), ("0x10", nil), ("--1", nil), ("99999999999999999999", nil),
        ]
        for (text, expected) in cases {
            #expect(RESPParser.parseInteger(Array(text.utf8)[...]) == expected, "\"\(text)\"")
        }
    }

    /// Feeds `input` in pieces of the given sizes, collecting replies until an error or the end.
    static func parse(_ input: [UInt8], limits: RESPLimits, pieces: [Int]) -> Outcome {
        var parser = RESPParser(limits: limits)
        var outcome = Outcome()
        var offset = 0
        for size in pieces {
            parser.append(input[offset..<(offset + size)])
            offset += size
            do {
                while let reply = try parser.next() { outcome.replies.append(reply) }
            } catch {
                outcome.error = error.kind
                return outcome
            }
        }
        outcome.midReply = parser.isMidReply
        return outcome
    }
}

@Suite struct RESPEncodingTests {
    @Test func commands_areArraysOfBulkStrings_binarySafe() {
        let command = RedisCommand("SET", "k", [0, 13, 10, 255] as [UInt8], 42)
        #expect(command.encoded() == Array("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n$2\r\n42\r\n".utf8))
        #expect(command.name == "SET")
    }

    @Test func aCommandParsesBackAsItsWords() throws {
        let command = RedisCommand("EVALSHA", "abc", 1, "key:\r\n", -5, 1.5)
        var parser = RESPParser()
        parser.append(command.encoded())
        let parsed = try parser.next()
        #expect(parsed == .array(command.words.map { .bulkString($0) }))
    }

    @Test func errorsWithALineBreak_areWrittenAsBlobErrors() throws {
        let value = RESPValue.error("ERR two\r\nlines")
        #expect(value.encoded().first == UInt8(ascii: "!"))
        var parser = RESPParser()
        parser.append(value.encoded())
        #expect(try parser.next() == value)
    }
}

@Suite struct SHA1Tests {
    /// FIPS 180 examples and lengths around the padding boundary (55, 56, 64, 119 bytes), checked against Python's hashlib.
    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (String(repeating: "a", count: 55), "c1c8bbdc22796e28c0e15163d20899b65621d65a"),
        (String(repeating: "a", count: 56), "c2db330f6083854c99d4b5bfb6e8f29f201be699"),
        (String(repeating: "a", count: 64), "0098ba824b5c16427bd7a1122a5a442a25ec644d"),
        (String(repeating: "a", count: 119), "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"),
        ("return 1", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"),
    ])
    func digest(_ message: String, _ expected: String) {
        #expect(SHA1.hex(Array(message.utf8)) == expected)
        #expect(RedisScript(message).sha1 == expected)
    }

    @Test func aMillionBytes() {
        #expect(SHA1.hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }
}
