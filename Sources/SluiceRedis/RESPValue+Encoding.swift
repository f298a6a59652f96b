extension RESPValue {
    /// The value as a server would send it, in RESP3 syntax for the RESP3
    /// kinds. `RESPParser` reads it back as an equal value.
    ///
    /// Two kinds cannot carry every value as such, and are written the way
    /// Redis writes them: a CRLF inside a simple string becomes two spaces,
    /// and an error holding a CRLF is written as a blob error (`!`). A verbatim
    /// format that is not three characters is written as `txt`. Null is
    /// written `$-1`, which every RESP version reads.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// Appends the encoding of the value to `bytes`.
    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .simpleString(let text):
            Self.line("+", Self.blankingLineBreaks(Array(text.utf8)), into: &bytes)
        case .error(let message):
            let utf8 = Array(message.utf8)
            if Self.lineBreak(in: utf8) != nil {
                Self.blob("!", utf8, into: &bytes)
            } else {
                Self.line("-", utf8, into: &bytes)
            }
        case .integer(let value): Self.line(":", Array(String(value).utf8), into: &bytes)
        case .bulkString(let payload): Self.blob("$", payload, into: &bytes)
        case .null: bytes.append(contentsOf: "$-1\r\n".utf8)
        case .array(let values): Self.aggregate("*", values, into: &bytes)
        case .double(let value): Self.line(",", Array(value.description.utf8), into: &bytes)
        case .boolean(let value): bytes.append(contentsOf: (value ? "#t\r\n" : "#f\r\n").utf8)
        case .bigNumber(let digits): Self.line("(", Array(digits.utf8), into: &bytes)
        case .verbatimString(let format, let text):
            let prefix = format.utf8.count == 3 ? Array(format.utf8) : Array("txt".utf8)
            Self.blob("=", prefix + [UInt8(ascii: ":")] + text, into: &bytes)
        case .map(let pairs):
            Self.line("%", Array(String(pairs.count).utf8), into: &bytes)
            for pair in pairs {
                pair.key.encode(into: &bytes)
                pair.value.encode(into: &bytes)
            }
        case .set(let values): Self.aggregate("~", values, into: &bytes)
        case .push(let values): Self.aggregate(">", values, into: &bytes)
        }
    }

    /// The index of the first CR LF pair.
    private static func lineBreak(in bytes: [UInt8]) -> Int? {
        bytes.indices.dropLast().first { bytes[$0] == 13 && bytes[$0 + 1] == 10 }
    }

    private static func blankingLineBreaks(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        while let index = lineBreak(in: bytes) { bytes[index] = 0x20; bytes[index + 1] = 0x20 }
        return bytes
    }

    private static func line(_ type: Unicode.Scalar, _ content: [UInt8], into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: type))
        bytes.append(contentsOf: content)
        bytes.append(contentsOf: [13, 10])
    }

    private static func blob(_ type: Unicode.Scalar, _ payload: [UInt8], into bytes: inout [UInt8]) {
        line(type, Array(String(payload.count).utf8), into: &bytes)
        bytes.append(contentsOf: payload)
        bytes.append(contentsOf: [13, 10])
    }

    private static func aggregate(_ type: Unicode.Scalar, _ values: [RESPValue], into bytes: inout [UInt8]) {
        line(type, Array(String(values.count).utf8), into: &bytes)
        for value in values { value.encode(into: &bytes) }
    }
}
