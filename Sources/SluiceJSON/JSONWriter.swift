/// Writes `JSONValue`s as compact JSON text (one line, no spaces).
///
/// Invariant: the output always parses back with `JSONParser` to an equal
/// value, and never contains a newline, so one task is one NDJSON line.
public enum JSONWriter {
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, to: &output)
        return output
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    public static func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let literal): output.append(contentsOf: literal.utf8)
        case .string(let text): writeString(text, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, member) in object.members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, to: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Control characters are escaped, C0 as JSON requires, and DEL and the
    /// C1 controls (U+0080–U+009F) too: JSON allows them raw, but written raw
    /// to a terminal (`--json` output, a log) they are commands (U+009B is CSI).
    public static func writeString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var utf8 = text.utf8.makeIterator()
        var pending = utf8.next()
        while let byte = pending {
            pending = utf8.next()
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
            case 0x0A: output.append(contentsOf: #"\n"#.utf8)
            case 0x0D: output.append(contentsOf: #"\r"#.utf8)
            case 0x09: output.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20, 0x7F: appendEscape(UInt32(byte), to: &output)
            case 0xC2 where pending.map { (0x80...0x9F).contains($0) } ?? false:
                // U+0080…U+009F, encoded as C2 80…C2 9F.
                appendEscape(UInt32(pending ?? 0), to: &output)
                pending = utf8.next()
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ scalar: UInt32, to output: inout [UInt8]) {
        let hex = String(scalar, radix: 16)
        output.append(contentsOf: "\\u\(String(repeating: "0", count: 4 - hex.count))\(hex)".utf8)
    }
}
