import Foundation
import SluiceJSON
import SluiceSpool

/// Turns a provider's answer into the `TaskResult` kept with its task: the
/// status, the headers the queue keeps, and the body up to `maximumBodyBytes`.
///
/// Invariants:
/// - Everything kept passed the queue's `SecretRedactor` first (the body's
///   bytes, then each string inside a JSON body, then each header value), so
///   an upstream that echoes the request's credential leaves it nowhere in
///   the result.
/// - Memory: besides the answer the worker already holds, at most a few
///   copies of `maximumBodyBytes` (plus `scanSlack`) are made, whatever the
///   answer's size.
///
/// How a body is kept: JSON (the content type says JSON, and the whole body
/// is valid JSON) as JSON; other valid UTF-8 without control characters
/// (but tab, CR, LF) as a string; anything else as base64. A body cut at the
/// limit is never JSON (it is not whole): text if the cut leaves valid UTF-8,
/// else base64.
public struct ResultCapture: Sendable {
    /// Header names (lowercased) to keep.
    public var headerNames: [String]
    /// The most body bytes kept.
    public var maximumBodyBytes: Int
    public var redactor: SecretRedactor

    /// How far past the cut the body is redacted, so a credential that
    /// straddles the cut is still found whole (see `ProviderResponse.snippetScanBytes`).
    static let scanSlack = 4096

    public init(headerNames: [String], maximumBodyBytes: Int, redactor: SecretRedactor) {
        self.headerNames = headerNames.map { $0.lowercased() }
        self.maximumBodyBytes = max(0, min(maximumBodyBytes, TaskResult.maximumBodyBytes))
        self.redactor = redactor
    }

    /// The result of an answer whose body was read.
    public func result(status: Int, headers: [String: String], body: [UInt8], attempt: Int, at instant: UInt64) -> TaskResult {
        let kept = keptHeaders(headers)
        let truncated = body.count > maximumBodyBytes
        let window = redactor.redact(bytes: Array(body.prefix(truncated ? maximumBodyBytes + Self.scanSlack : body.count)))
        let encoded: TaskResult.Body
        if truncated {
            encoded = Self.cut(window, at: maximumBodyBytes)
        } else {
            encoded = encode(window, contentType: kept["content-type"] ?? headers.first { $0.key.lowercased() == "content-type" }?.value)
        }
        return TaskResult(status: status, headers: kept, body: encoded, bodyBytes: body.count, truncated: truncated,
                          attempt: attempt, receivedAt: instant)
    }

    /// The result of an answer whose body was not read (over `maxResponseBytes`).
    public func unreadResult(status: Int, headers: [String: String], attempt: Int, at instant: UInt64) -> TaskResult {
        TaskResult(status: status, headers: keptHeaders(headers), body: .unread, bodyBytes: nil, truncated: true,
                   attempt: attempt, receivedAt: instant)
    }

    /// The headers named in `headerNames` (case-insensitively), values redacted and cut.
    func keptHeaders(_ headers: [String: String]) -> [String: String] {
        var kept: [String: String] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            guard headerNames.contains(lower), kept[lower] == nil, kept.count < TaskResult.maximumHeaders else { continue }
            let clean = redactor.redact(value)
            kept[lower] = clean.utf8.count <= TaskResult.maximumHeaderValueBytes ? clean : Self.validPrefix(Array(clean.utf8), TaskResult.maximumHeaderValueBytes)
        }
        return kept
    }

    /// A whole, redacted body: JSON, text or base64.
    func encode(_ bytes: [UInt8], contentType: String?) -> TaskResult.Body {
        if Self.saysJSON(contentType), let value = try? JSONParser.parse(bytes) {
            // The bytes were redacted; a secret written with JSON escapes
            // (`\u0073k_…`) is only visible once parsed: redact every string
            // (and key) again.
            return .json(redactStrings(value))
        }
        if Self.isText(bytes[...]) { return .text(String(decoding: bytes, as: UTF8.self)) }
        return .base64(Data(bytes).base64EncodedString())
    }

    /// `window` cut to `limit` bytes: text if the cut (moved back to a
    /// character boundary) is text, else the first `limit` bytes in base64.
    static func cut(_ window: [UInt8], at limit: Int) -> TaskResult.Body {
        var end = min(limit, window.count)
        // Back off at most three continuation bytes to a character boundary.
        var backed = 0
        while end > 0, backed < 3, end < window.count, window[end] & 0xC0 == 0x80 { end -= 1; backed += 1 }
        if isText(window[..<end]) { return .text(String(decoding: window[..<end], as: UTF8.self)) }
        return .base64(Data(window.prefix(limit)).base64EncodedString())
    }

    /// `application/json`, `text/json`, or any `…+json` type.
    static func saysJSON(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return type == "application/json" || type == "text/json" || type.hasSuffix("+json")
    }

    /// Valid UTF-8 with no control characters but tab, LF and CR (no C0,
    /// DEL or C1): a string a reader can show, whose JSON form is at most
    /// twice its size.
    static func isText(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard String(validating: bytes, as: UTF8.self) != nil else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte < 0x20, byte != 0x09, byte != 0x0A, byte != 0x0D { return false }
            if byte == 0x7F { return false }
            if previous == 0xC2, (0x80...0x9F).contains(byte) { return false }
            previous = byte
        }
        return true
    }

    private func redactStrings(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text): return .string(redactor.redact(text))
        case .array(let elements): return .array(elements.map(redactStrings))
        // Keys too: a key may carry an escaped secret as well. Two keys that
        // redact alike become one member (the later wins): they held secrets.
        case .object(let object): return .object(JSONObject(object.members.map { (redactor.redact($0.key), redactStrings($0.value)) }))
        case .null, .bool, .number: return value
        }
    }

    /// The longest prefix of `bytes` of at most `limit` bytes that is valid UTF-8.
    static func validPrefix(_ bytes: [UInt8], _ limit: Int) -> String {
        var end = min(limit, bytes.count)
        while end > 0, end < bytes.count, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
