import Foundation

/// Removes credentials from text Sluice keeps or logs that a provider (or a
/// transport error) wrote: an upstream that echoes the request puts
/// `Authorization: Bearer …` into its error page, and that page's start
/// becomes a task's `lastError`, its history, a log line and an API answer.
///
/// Two nets:
/// - the queue's own secrets, exactly, with the forms they take on the
///   wire (the `Authorization` values sent, base64, percent- and
///   JSON-escaped), wherever they appear;
/// - anything shaped like a credential: the token after `Bearer`, `Basic`,
///   `Digest` or `Token`; the value after a name such as `Authorization`,
///   `api_key`, `X-Api-Key`, `access_token`, `password`, `secret`; and
///   well-known key prefixes (`sk_live_`, `sk-`, `SG.`, …).
///
/// Each is replaced by `[redacted]`. Works on UTF-8 bytes; only ASCII runs are
/// replaced, so the result is valid UTF-8 whenever the input was.
public struct SecretRedactor: Sendable, Equatable {
    public static let marker = "[redacted]"
    /// No secrets of its own: only the shapes.
    public static let shapesOnly = SecretRedactor(secrets: [])

    /// Exact byte strings to remove, longest first (so a secret inside a
    /// longer form of it is not left half-replaced).
    private let exact: [[UInt8]]

    /// `secrets`: credentials and the header values that carry them. Values
    /// shorter than 4 bytes are ignored (they would match everywhere).
    public init(secrets: [String]) {
        var forms = Set<[UInt8]>()
        for secret in secrets where secret.utf8.count >= 4 {
            forms.insert(Array(secret.utf8))
            forms.insert(Array(Data(secret.utf8).base64EncodedString().utf8))
            forms.insert(Array(secret.replacingOccurrences(of: "/", with: "\\/").utf8))
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { forms.insert(Array(encoded.utf8)) }
            if let space = secret.firstIndex(of: " ") {
                // "Bearer sk_…": the credential after the scheme, alone.
                let credential = String(secret[secret.index(after: space)...])
                if credential.utf8.count >= 4 { forms.insert(Array(credential.utf8)) }
            }
        }
        exact = forms.sorted { $0.count > $1.count }
    }

    /// `text` with every secret and credential-shaped value replaced.
    public func redact(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        return String(decoding: redact(bytes: Array(text.utf8)), as: UTF8.self)
    }

    /// `bytes` (any bytes: text or not) with every secret and
    /// credential-shaped value replaced; valid UTF-8 stays valid UTF-8.
    public func redact(bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        var bytes = bytes
        for form in exact { bytes = Self.replacing(form, in: bytes) }
        return Self.redactShapes(bytes)
    }

    // MARK: Exact forms

    private static func replacing(_ needle: [UInt8], in haystack: [UInt8]) -> [UInt8] {
        guard let first = needle.first, haystack.count >= needle.count else { return haystack }
        var output: [UInt8] = []
        output.reserveCapacity(haystack.count)
        var index = 0
        while index < haystack.count {
            if haystack[index] == first, index + needle.count <= haystack.count,
               haystack[index..<(index + needle.count)].elementsEqual(needle) {
                output.append(contentsOf: marker.utf8)
                index += needle.count
            } else {
                output.append(haystack[index])
                index += 1
            }
        }
        return output
    }

    // MARK: Shapes

    /// Authorization schemes whose next word is a credential.
    private static let schemes = ["bearer", "basic", "digest", "token"]
    /// Names whose value (after `:` or `=`) is a credential.
    private static let names = [
        "authorization", "proxy-authorization", "x-api-key", "api-key", "api_key", "apikey", "x-auth-token", "auth-token",
        "access_token", "refresh_token", "id_token", "token", "client_secret", "secret", "password", "passwd", "private_key",
    ]
    /// Prefixes of well-known API keys.
    private static let keyPrefixes = ["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_", "sk-", "SG.", "ghp_", "xoxb-", "xoxp-"]

    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): true
        default: false
        }
    }

    /// token68 (RFC 9110 §11.2) plus `\` (a JSON-escaped `/`) and `%` (percent-encoded).
    private static func isCredentialByte(_ byte: UInt8) -> Bool {
        isWordByte(byte) || Array("-._~+/=\\%".utf8).contains(byte)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    /// True if `word` (lowercase ASCII) is at `index`, case-insensitively unless told.
    private static func word(_ word: String, at index: Int, in bytes: [UInt8], caseSensitive: Bool = false) -> Bool {
        let pattern = Array(word.utf8)
        guard index + pattern.count <= bytes.count else { return false }
        for (offset, expected) in pattern.enumerated() {
            let actual = bytes[index + offset]
            if (caseSensitive ? actual : lowercased(actual)) != expected { return false }
        }
        return true
    }

    private static func redactShapes(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if let (keep, skip) = shape(at: index, in: bytes) {
                output.append(contentsOf: bytes[index..<(index + keep)])
                output.append(contentsOf: marker.utf8)
                index += keep + skip
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    /// A credential starting at `index`: how many bytes to keep (the name or
    /// scheme and what separates it), then how many to replace. Nil if none.
    private static func shape(at index: Int, in bytes: [UInt8]) -> (keep: Int, skip: Int)? {
        guard index == 0 || !isWordByte(bytes[index - 1]) else { return nil }
        for prefix in keyPrefixes where word(prefix, at: index, in: bytes, caseSensitive: true) {
            let length = run(from: index, in: bytes, where: isCredentialByte)
            if length >= prefix.utf8.count + 6 { return (0, length) }
        }
        for scheme in schemes where word(scheme, at: index, in: bytes) {
            var cursor = index + scheme.utf8.count
            let spaces = run(from: cursor, in: bytes) { $0 == 0x20 || $0 == 0x09 }
            guard spaces > 0 else { continue }
            cursor += spaces
            let length = run(from: cursor, in: bytes, where: isCredentialByte)
            if length >= 4, !isMarker(at: cursor, in: bytes) { return (cursor - index, length) }
        }
        for name in names where word(name, at: index, in: bytes) {
            var cursor = index + name.utf8.count
            guard cursor == bytes.count || !isWordByte(bytes[cursor]) else { continue }
            cursor += run(from: cursor, in: bytes) { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") || $0 == 0x20 || $0 == UInt8(ascii: "\\") }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") || bytes[cursor] == UInt8(ascii: "=") else { continue }
            cursor += 1
            cursor += run(from: cursor, in: bytes) { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") || $0 == 0x20 || $0 == 0x09 || $0 == UInt8(ascii: "\\") }
            // The value runs to the end of the field: a quote, a separator or a line end.
            let length = run(from: cursor, in: bytes) { byte in
                !(byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";")
                  || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "<") || byte == 0x0D || byte == 0x0A
                  || byte == UInt8(ascii: "\\"))
            }
            if length > 0, !isMarker(at: cursor, in: bytes) { return (cursor - index, length) }
        }
        return nil
    }

    private static func isMarker(at index: Int, in bytes: [UInt8]) -> Bool {
        let marker = Array(Self.marker.utf8)
        return index + marker.count <= bytes.count && bytes[index..<(index + marker.count)].elementsEqual(marker)
    }

    private static func run(from index: Int, in bytes: [UInt8], where matches: (UInt8) -> Bool) -> Int {
        var end = index
        while end < bytes.count, matches(bytes[end]) { end += 1 }
        return end - index
    }
}
