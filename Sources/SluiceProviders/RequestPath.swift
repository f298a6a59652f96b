/// The only way a task's path joins a queue's base URL, so a task can never
/// choose the host, port, scheme or credentials of a request.
public enum RequestPath {
    /// `base + path`, if `path` is an absolute path (with an optional query)
    /// made only of URL-safe characters.
    ///
    /// Refused: anything not starting with one `/` (so no `//host`, no
    /// `http://…`), `@`, `\`, `#`, whitespace, control characters, non-ASCII,
    /// and `..` segments.
    public static func join(base: String, path: String) throws(TaskRejected) -> String {
        guard path.hasPrefix("/"), !path.hasPrefix("//") else {
            throw TaskRejected("payload.path: \"\(shown(path))\" must be an absolute path starting with a single \"/\"; the host is the queue's")
        }
        guard path.utf8.count <= 4096, path.unicodeScalars.allSatisfy(isAllowed) else {
            throw TaskRejected("payload.path: \"\(shown(path))\" has characters a path may not hold (only URL-safe ASCII; no @, \\, #, spaces)")
        }
        let segments = path.split(separator: "?", maxSplits: 1)[0].split(separator: "/")
        guard !segments.contains("..") else { throw TaskRejected("payload.path: \"\(shown(path))\" may not contain \"..\" segments") }
        return base + path
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return "-._~/?%!$&'()*+,;=:".unicodeScalars.contains(scalar)
        }
    }

    private static func shown(_ text: String) -> String {
        let printable = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
        return printable.count > 80 ? String(printable.prefix(80)) + "…" : printable
    }
}
