/// The only way a task's path joins a queue's base URL, so a task can never
/// choose the host, port, scheme or credentials of a request, nor climb out
/// of the base URL's path.
///
/// Checked by bytes, and after percent-decoding, because the upstream (or a
/// proxy in front of it) decodes before it resolves dot segments: `%2e%2e`,
/// `.%2e` and `..;` all mean `..` to some server.
public enum RequestPath {
    /// The longest path accepted, in bytes.
    public static let maximumLength = 4096

    /// `base + path`, if `path` is an absolute path (with an optional query)
    /// made only of URL-safe characters.
    ///
    /// Refused: anything not starting with one `/` (so no `//host`, no
    /// `http://…`), `@`, `\`, `#`, whitespace, control characters, non-ASCII;
    /// in the path (before `?`): a malformed `%` escape, an encoded `.`
    /// (`%2e`), `/`, `\`, `;` or control byte, a `;` (path parameters: `..;`),
    /// and `.` or `..` segments, also once decoded (twice, for `%252e`).
    public static func join(base: String, path: String) throws(TaskRejected) -> String {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/"), bytes.dropFirst().first != UInt8(ascii: "/") else {
            throw TaskRejected("payload.path: \"\(shown(path))\" must be an absolute path starting with a single \"/\"; the host is the queue's")
        }
        guard bytes.count <= maximumLength, bytes.allSatisfy(isAllowed) else {
            throw TaskRejected("payload.path: \"\(shown(path))\" has characters a path may not hold (only URL-safe ASCII; no @, \\, #, spaces, control characters)")
        }
        let pathPart = bytes.prefix { $0 != UInt8(ascii: "?") }
        for segment in pathPart.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            if let problem = problem(inSegment: Array(segment)) {
                throw TaskRejected("payload.path: \"\(shown(path))\" \(problem)")
            }
        }
        return base + path
    }

    /// Why `segment` (between two `/`, still encoded) may not be sent, or nil.
    private static func problem(inSegment segment: [UInt8]) -> String? {
        if segment.contains(UInt8(ascii: ";")) {
            return "has a \";\" in a path segment (path parameters such as \"..;\" are refused); put parameters in the query"
        }
        var level = segment
        // Decoded once, and again if a `%` came out of the first (double encoding).
        for round in 0..<2 {
            if isDotSegment(level) { return "may not contain \".\" or \"..\" segments (also percent-encoded)" }
            guard level.contains(UInt8(ascii: "%")) else { return nil }
            guard let decoded = percentDecoded(level) else {
                // After one decoding a lone `%` is a literal percent (`%25`), not an escape.
                return round == 0 ? "has a \"%\" that is not followed by two hex digits; escape a literal % as %25" : nil
            }
            if decoded.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: ";") }) {
                return "encodes \"/\", \"\\\", \";\" or a control character in a segment; send them unencoded where allowed, or not at all"
            }
            if round == 0, hasEncodedDot(level) { return "encodes \".\" as %2e; dots need no encoding" }
            level = decoded
        }
        return isDotSegment(level) ? "may not contain \".\" or \"..\" segments (also percent-encoded)" : nil
    }

    private static func isDotSegment(_ segment: [UInt8]) -> Bool {
        segment == [UInt8(ascii: ".")] || segment == [UInt8(ascii: "."), UInt8(ascii: ".")]
    }

    private static func hasEncodedDot(_ segment: [UInt8]) -> Bool {
        zip(segment, zip(segment.dropFirst(), segment.dropFirst(2))).contains { percent, digits in
            percent == UInt8(ascii: "%") && digits.0 == UInt8(ascii: "2") && (digits.1 | 0x20) == UInt8(ascii: "e")
        }
    }

    /// Every `%XX` replaced by its byte; nil if a `%` is not followed by two hex digits.
    static func percentDecoded(_ bytes: [UInt8]) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "%") else {
                output.append(bytes[index])
                index += 1
                continue
            }
            guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else { return nil }
            output.append(high << 4 | low)
            index += 3
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: Array("-._~/?%!$&'()*+,;=:".utf8).contains(byte)
        }
    }

    /// The path as it may be shown in an error: control bytes as `?`, at most 80 characters.
    private static func shown(_ text: String) -> String {
        let printable = String(text.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) ? "?" : Character($0) })
        return printable.count > 80 ? String(printable.prefix(80)) + "…" : printable
    }
}
