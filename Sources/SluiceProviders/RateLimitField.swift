/// The IETF rate-limit fields (draft-ietf-httpapi-ratelimit-headers), read as
/// the small subset of RFC 9651 structured fields they use, in all three
/// shapes the drafts have had:
///
/// - a list of named policies (draft 08 on): `RateLimit: "default";r=0;t=3`
///   with `RateLimit-Policy: "default";q=100;w=10`;
/// - one dictionary (drafts 06–07): `RateLimit: limit=100, remaining=0, reset=3`;
/// - separate fields (drafts up to 05): `RateLimit-Remaining: 0`,
///   `RateLimit-Limit: 100`, `RateLimit-Reset: 3` (delta-seconds).
///
/// A value that does not read as one of these is ignored, never an error:
/// the fields come from a server, and a wrong one must not stop a worker.
enum RateLimitField {
    /// One list or dictionary member: `"default";r=0;t=3` is item `default`
    /// with parameters r and t; `remaining=0` is item `remaining` with value `0`.
    struct Member: Equatable {
        var item: String
        var value: String?
        var parameters: [String: String]
    }

    /// The most members read from one field, and its longest accepted length:
    /// beyond them a field is not a rate limit a server really sends.
    static let mostMembers = 16
    static let longest = 1024

    /// The members of a list or dictionary field; nil when it is malformed
    /// (an unterminated string, too long, too many members).
    static func members(_ text: String) -> [Member]? {
        guard text.utf8.count <= longest, let members = split(Array(text.utf8)), members.count <= mostMembers else { return nil }
        return members.compactMap(member)
    }

    /// Members as lists of `;`-separated segments, splitting outside quotes.
    private static func split(_ bytes: [UInt8]) -> [[String]]? {
        var members: [[String]] = []
        var segments: [String] = []
        var current: [UInt8] = []
        var quoted = false
        var escaped = false
        for byte in bytes {
            if quoted {
                current.append(byte)
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { quoted = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                quoted = true
                current.append(byte)
            case UInt8(ascii: ";"):
                segments.append(String(decoding: current, as: UTF8.self))
                current = []
            case UInt8(ascii: ","):
                segments.append(String(decoding: current, as: UTF8.self))
                members.append(segments)
                segments = []
                current = []
                if members.count > mostMembers { return nil }
            default:
                current.append(byte)
            }
        }
        guard !quoted else { return nil }
        segments.append(String(decoding: current, as: UTF8.self))
        members.append(segments)
        return members
    }

    private static func member(_ segments: [String]) -> Member? {
        guard let head = segments.first.map(trimmed), !head.isEmpty else { return nil }
        var member: Member
        if head.hasPrefix("\"") {
            member = Member(item: unquoted(head), value: nil, parameters: [:])
        } else if let equals = head.firstIndex(of: "=") {
            member = Member(item: head[..<equals].lowercased(), value: unquoted(trimmed(String(head[head.index(after: equals)...]))), parameters: [:])
        } else {
            member = Member(item: head, value: nil, parameters: [:])
        }
        for segment in segments.dropFirst() {
            let parameter = trimmed(segment)
            guard !parameter.isEmpty else { continue }
            if let equals = parameter.firstIndex(of: "=") {
                member.parameters[parameter[..<equals].lowercased()] = unquoted(trimmed(String(parameter[parameter.index(after: equals)...])))
            } else {
                member.parameters[parameter.lowercased()] = "?1" // a bare parameter is boolean true
            }
        }
        return member
    }

    private static func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }

    /// A quoted string's content (escapes removed); anything else as it is.
    private static func unquoted(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
        var result = ""
        var escaped = false
        for character in text.dropFirst().dropLast() {
            if !escaped && character == "\\" { escaped = true; continue }
            escaped = false
            result.append(character)
        }
        return result
    }
}
