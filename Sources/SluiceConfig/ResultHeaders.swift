import SluiceSpool

/// A queue's `resultHeaders`: which headers of an answer are kept with its
/// result.
public enum ResultHeaders {
    /// The content type, and the request or object ids the built-in
    /// providers send: Stripe `Request-Id`, OpenAI `x-request-id`, SendGrid
    /// `X-Message-Id`, Twilio `Twilio-Request-Id`.
    public static let defaults = ["content-type", "request-id", "x-request-id", "x-message-id", "twilio-request-id"]

    /// Headers that carry credentials or session state, never kept whatever
    /// the configuration says (a hostile upstream could echo ours in them).
    public static let refused: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie", "www-authenticate", "proxy-authenticate"]

    /// Parses `resultHeaders`: an array of header names (letters, digits,
    /// `-`), at most `TaskResult.maximumHeaders`, none refused; nil if absent.
    static func parse(_ reader: inout ObjectReader) throws(ConfigError) -> [String]? {
        guard let elements = try reader.array("resultHeaders") else { return nil }
        let field = reader.field("resultHeaders")
        guard elements.count <= TaskResult.maximumHeaders else {
            throw ConfigError(field, "has \(elements.count) names; at most \(TaskResult.maximumHeaders) headers are kept")
        }
        var names: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element, !text.isEmpty, text.utf8.count <= 256, text.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            }) else {
                throw ConfigError("\(field)[\(index)]", "must be a header name like \"x-request-id\" (letters, digits and \"-\")")
            }
            let name = text.lowercased()
            guard !refused.contains(name) else {
                throw ConfigError("\(field)[\(index)]", "\"\(text)\" carries credentials or session state and is never kept; remove it")
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }
}
