import SluiceJSON

/// `application/x-www-form-urlencoded`, Stripe style: nested objects become
/// `metadata[order]=42`, arrays `items[0][price]=…`.
public enum FormEncoding {
    public static func encode(_ object: JSONObject) throws(TaskRejected) -> [UInt8] {
        var pairs: [(String, String)] = []
        for member in object.members { try flatten(member.value, name: member.key, into: &pairs) }
        return Array(pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&").utf8)
    }

    private static func flatten(_ value: JSONValue, name: String, into pairs: inout [(String, String)]) throws(TaskRejected) {
        switch value {
        case .null: pairs.append((name, ""))
        case .bool(let flag): pairs.append((name, flag ? "true" : "false"))
        case .number(let literal): pairs.append((name, literal))
        case .string(let text): pairs.append((name, text))
        case .array(let elements):
            for (index, element) in elements.enumerated() { try flatten(element, name: "\(name)[\(index)]", into: &pairs) }
        case .object(let object):
            for member in object.members { try flatten(member.value, name: "\(name)[\(member.key)]", into: &pairs) }
        }
    }

    /// Percent-encodes all but the unreserved characters (RFC 3986 §2.3).
    static func escape(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return result
    }
}
