/// Header names and values judged by their bytes, never by `Character`:
/// `"\r\n"` is one grapheme in Swift, so a check for `"\r"` or `"\n"`
/// characters lets it through.
public enum HeaderBytes {
    /// A field name Sluice sends: 1…256 bytes of ASCII letters, digits and `-`.
    public static func isFieldName(_ name: String) -> Bool {
        let bytes = name.utf8
        return !bytes.isEmpty && bytes.count <= 256 && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"): true
            default: false
            }
        }
    }

    /// True if `text` holds a control character other than tab: C0 (CR and
    /// LF included, alone or together), DEL, or a C1 control (U+0080–U+009F).
    public static func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            (scalar.value < 0x20 && scalar.value != 0x09) || (0x7F...0x9F).contains(scalar.value)
        }
    }

    /// `text` with its control characters shown as `?`, for an error message.
    public static func shown(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(80).map { scalar in
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) ? "?" : scalar
        }))
    }
}
