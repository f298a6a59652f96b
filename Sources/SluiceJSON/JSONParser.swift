/// A strict JSON parser (RFC 8259) over UTF-8 bytes, with errors that say where.
///
/// Strict means: one value, optional whitespace around it, nothing after it;
/// no comments, no trailing commas, no duplicate keys, nesting at most
/// `maximumDepth` deep (so hostile input cannot exhaust the stack).
public struct JSONParser {
    public static let maximumDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var depth = 0

    /// Parses `bytes` as one JSON value.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        let contiguous = Array(bytes)
        return try contiguous.withUnsafeBufferPointer { buffer throws(JSONSyntaxError) in
            var parser = JSONParser(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.parseValue()
            parser.skipWhitespace()
            guard parser.position == buffer.count else { throw parser.error("unexpected text after the value") }
            return value
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: position, message: message)
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func expect(_ literal: StaticString) throws(JSONSyntaxError) {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard position + text.count <= bytes.count,
              bytes[position..<(position + text.count)].elementsEqual(text) else {
            throw error("expected \(literal)")
        }
        position += text.count
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        switch current {
        case UInt8(ascii: "{"): return .object(try parseObject())
        case UInt8(ascii: "["): return .array(try parseArray())
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case nil: throw error("unexpected end of input; expected a value")
        case let byte?:
            guard byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw error("expected a value")
            }
            return .number(try parseNumber())
        }
    }

    private mutating func enterNesting() throws(JSONSyntaxError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nested more than \(Self.maximumDepth) levels deep") }
        position += 1
        skipWhitespace()
    }

    /// Linear in the object's size: duplicates are found with a hash set of
    /// the keys seen, and members are appended, never looked up. (Checking
    /// each key with `object[key]` was quadratic: 40 k keys, under 1 MiB,
    /// took 6.7 s, and a stored task is parsed again at every claim.)
    private mutating func parseObject() throws(JSONSyntaxError) -> JSONObject {
        try enterNesting()
        defer { depth -= 1 }
        var object = JSONObject()
        if current == UInt8(ascii: "}") { position += 1; return object }
        var seen = Set<String>()
        while true {
            guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyOffset = position
            let key = try parseString()
            guard seen.insert(key).inserted else {
                throw JSONSyntaxError(offset: keyOffset, message: "key \"\(key)\" appears twice")
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected \":\" after a key") }
            position += 1
            skipWhitespace()
            object.members.append(JSONObject.Member(key: key, value: try parseValue()))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1; skipWhitespace()
            case UInt8(ascii: "}"): position += 1; return object
            default: throw error("expected \",\" or \"}\" in an object")
            }
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> [JSONValue] {
        try enterNesting()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        if current == UInt8(ascii: "]") { position += 1; return elements }
        while true {
            elements.append(try parseValue())
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1; skipWhitespace()
            case UInt8(ascii: "]"): position += 1; return elements
            default: throw error("expected \",\" or \"]\" in an array")
            }
        }
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else {
            guard try skipDigits() > 0 else { throw error("expected a digit") }
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard try skipDigits() > 0 else { throw error("expected a digit after \".\"") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard try skipDigits() > 0 else { throw error("expected a digit in the exponent") }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private mutating func skipDigits() throws(JSONSyntaxError) -> Int {
        let start = position
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
        return position - start
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        position += 1  // the opening quote
        var text: [UInt8] = []
        while true {
            guard let byte = current else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let string = String(validating: text, as: UTF8.self) else {
                    throw error("string is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                position += 1
                try parseEscape(into: &text)
            case 0..<0x20:
                throw error("control character in a string; escape it")
            default:
                text.append(byte)
                position += 1
            }
        }
    }

    private mutating func parseEscape(into text: inout [UInt8]) throws(JSONSyntaxError) {
        guard let byte = current else { throw error("unterminated escape") }
        position += 1
        // A switch, not a table built per call: a string of escapes must stay cheap.
        switch byte {
        case UInt8(ascii: "\""): text.append(0x22); return
        case UInt8(ascii: "\\"): text.append(0x5C); return
        case UInt8(ascii: "/"): text.append(0x2F); return
        case UInt8(ascii: "b"): text.append(0x08); return
        case UInt8(ascii: "f"): text.append(0x0C); return
        case UInt8(ascii: "n"): text.append(0x0A); return
        case UInt8(ascii: "r"): text.append(0x0D); return
        case UInt8(ascii: "t"): text.append(0x09); return
        case UInt8(ascii: "u"): break
        default: throw error("unknown escape \"\\\(Character(Unicode.Scalar(byte)))\"")
        }
        var scalar = try parseHex4()
        if (0xD800..<0xDC00).contains(scalar) {
            // A UTF-16 surrogate pair: \uD83D\uDE00.
            try expect("\\u")
            let low = try parseHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
        UTF8.encode(unicode) { text.append($0) }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("expected four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Self.hexValue(bytes[position]) else { throw error("expected a hex digit") }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}

/// Text that is not valid JSON: where (byte offset) and what was expected.
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible, Sendable {
    public let offset: Int
    public let message: String

    public var description: String { "not valid JSON at byte \(offset + 1): \(message)" }
}
