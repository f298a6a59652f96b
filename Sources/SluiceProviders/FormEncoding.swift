import SluiceJSON

/// `application/x-www-form-urlencoded`, Stripe style: nested objects become
/// `metadata[order]=42`, arrays `items[0][price]=…`.
///
/// Bounded: a body over `maximumBytes` is refused while it is written, never
/// built. A nested name is repeated in every pair under it, so a 1 MiB task
/// (a long key over many small leaves) could otherwise encode to gigabytes.
public enum FormEncoding {
    /// The largest form body sent (4 MiB); Stripe and Twilio take far less.
    public static let maximumBytes = 4 << 20

    public static func encode(_ object: JSONObject) throws(TaskRejected) -> [UInt8] {
        var writer = Writer()
        for member in object.members {
            writer.name.removeAll(keepingCapacity: true)
            escape(member.key, into: &writer.name)
            try writer.flatten(member.value)
        }
        return writer.output
    }

    /// Writes pairs into `output`; `name` is the current pair's name, escaped,
    /// grown and cut back as the walk enters and leaves a member, so no name
    /// is ever built twice.
    private struct Writer {
        var output: [UInt8] = []
        var name: [UInt8] = []

        mutating func flatten(_ value: JSONValue) throws(TaskRejected) {
            switch value {
            case .null: try pair("")
            case .bool(let flag): try pair(flag ? "true" : "false")
            case .number(let literal): try pair(literal)
            case .string(let text): try pair(text)
            case .array(let elements):
                for (index, element) in elements.enumerated() { try nested("\(index)", element) }
            case .object(let object):
                for member in object.members { try nested(member.key, member.value) }
            }
        }

        /// `name[key]`, with the brackets escaped as every byte outside the unreserved set is.
        private mutating func nested(_ key: String, _ value: JSONValue) throws(TaskRejected) {
            let length = name.count
            defer { name.removeSubrange(length...) }
            name.append(contentsOf: "%5B".utf8)
            escape(key, into: &name)
            name.append(contentsOf: "%5D".utf8)
            guard name.count <= FormEncoding.maximumBytes else { throw FormEncoding.tooLarge }
            try flatten(value)
        }

        private mutating func pair(_ value: String) throws(TaskRejected) {
            let needed = (output.isEmpty ? 0 : 1) + name.count + 1 + FormEncoding.escapedCount(value)
            guard output.count + needed <= FormEncoding.maximumBytes else { throw FormEncoding.tooLarge }
            if !output.isEmpty { output.append(UInt8(ascii: "&")) }
            output.append(contentsOf: name)
            output.append(UInt8(ascii: "="))
            escape(value, into: &output)
        }
    }

    static let tooLarge = TaskRejected("payload: encodes to a form body over \(maximumBytes) bytes (4 MiB), nested names repeated in every field; "
                                       + "send far less (the API refuses such a body), or keep the data elsewhere and pass a reference")

    /// Percent-encodes all but the unreserved characters (RFC 3986 §2.3).
    static func escape(_ text: String) -> String {
        var bytes: [UInt8] = []
        escape(text, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    private static func escapedCount(_ text: String) -> Int {
        text.utf8.reduce(0) { $0 + (isUnreserved($1) ? 1 : 3) }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func escape(_ text: String, into output: inout [UInt8]) {
        for byte in text.utf8 {
            if isUnreserved(byte) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
    }
}
