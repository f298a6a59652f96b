import SluiceCore

/// Numbers as servers write them in rate-limit headers, read by bytes.
///
/// A server's header is hostile input: every result saturates at
/// `UInt64.max` instead of trapping, and anything but plain digits (a sign,
/// an exponent, `NaN`, `inf`, a space inside, more than `longest` bytes) is
/// not a number. Spaces and tabs around the value are ignored.
enum HeaderNumber {
    /// Longer values are refused unread: no real wait or budget needs more.
    static let longest = 64

    /// A whole number: digits only (`"42"`), saturating.
    static func whole(_ text: String) -> UInt64? {
        guard let bytes = trimmed(text), !bytes.isEmpty, bytes.allSatisfy(isDigit) else { return nil }
        return bytes.reduce(0) { $0.multipliedSaturated(by: 10).addingSaturated(UInt64($1 - UInt8(ascii: "0"))) }
    }

    /// `digits[.digits] × unit` in nanoseconds (`unit` a power of ten: 10⁶
    /// for milliseconds, 10⁹ for seconds), saturating. A fraction finer than
    /// a nanosecond rounds up, so a wait read here never ends early.
    static func scaled(_ text: String, unit: UInt64) -> UInt64? {
        guard let bytes = trimmed(text) else { return nil }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 2, omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isDigit) }) else { return nil }
        let whole = parts[0].reduce(UInt64(0)) { $0.multipliedSaturated(by: 10).addingSaturated(UInt64($1 - UInt8(ascii: "0"))) }
        var total = whole.multipliedSaturated(by: unit)
        guard parts.count == 2 else { return total }
        var scale = unit
        var fraction: UInt64 = 0
        var finer = false
        for byte in parts[1] {
            let digit = UInt64(byte - UInt8(ascii: "0"))
            if scale >= 10 {
                scale /= 10
                fraction += digit * scale // < unit: no overflow
            } else if digit != 0 {
                finer = true
            }
        }
        total = total.addingSaturated(fraction)
        return finer ? total.addingSaturated(1) : total
    }

    /// A Go duration as OpenAI writes its resets (`"20ms"`, `"1.5s"`,
    /// `"6m0s"`, `"1h2m3.5s"`), saturating where `DurationText` would refuse
    /// an overflow: the server asked for a very long wait, not for none.
    static func goDuration(_ text: String) -> UInt64? {
        guard let bytes = trimmed(text), !bytes.isEmpty else { return nil }
        let value = String(decoding: bytes, as: UTF8.self)
        if let nanoseconds = DurationText.nanoseconds(value) { return nanoseconds }
        // DurationText refuses an overflow; a well-formed one saturates here.
        let shape = bytes.allSatisfy { isDigit($0) || $0 == UInt8(ascii: ".") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
        // `first`, not `[0]`: a trimmed slice keeps its base's indices (found
        // by the `provider-wait` fuzz target: a reset of "  s" trapped; the
        // worker trims header values before, so only other callers met it).
        guard shape, let first = bytes.first, isDigit(first), let last = bytes.last, !isDigit(last),
              DurationText.nanoseconds(String(decoding: bytes.map { isDigit($0) ? UInt8(ascii: "0") : $0 }, as: UTF8.self)) != nil
        else { return nil }
        return .max
    }

    /// The value's bytes without surrounding spaces and tabs; nil when it is
    /// longer than `longest` (an overlong value is refused before it is copied).
    static func trimmed(_ text: String) -> ArraySlice<UInt8>? {
        let utf8 = text.utf8
        guard utf8.count <= longest * 4 else { return nil }
        var bytes = ArraySlice(utf8)
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return bytes.count <= longest ? bytes : nil
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
