/// Text that came from outside (a provider's error page, a task's key, a
/// header) made safe to print: control characters reach a terminal as
/// visible escapes, never as commands. An ESC or a C1 CSI (U+009B) starts a
/// sequence that can clear the screen, rewrite earlier lines or set the
/// window title; a bidirectional override reorders what the reader sees.
enum TerminalText {
    /// `text` with every C0 control, DEL, C1 control and bidirectional
    /// override or isolate written as an escape (`\n`, `\r`, `\t`, `\x1b`,
    /// `\u{9b}`, `\u{202e}`). With `keepingLineBreaks`, LF and tab stay as
    /// they are: for whole views, whose lines and columns are Sluice's own.
    static func escaped(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingLineBreaks: keepingLineBreaks) }) else { return text }
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingLineBreaks: keepingLineBreaks) else {
                output.append(scalar)
                continue
            }
            output.append(contentsOf: escape(scalar).unicodeScalars)
        }
        return String(output)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar, keepingLineBreaks: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: !keepingLineBreaks
        case 0..<0x20, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0..<0x20, 0x7F:
            let hex = String(scalar.value, radix: 16)
            return "\\x" + (hex.count < 2 ? "0" : "") + hex
        default:
            return "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }
}
