import SluicePOSIX

/// Where a command writes: standard output for results, standard error for diagnostics.
///
/// Passed in (not global) so tests can capture what a command says.
public struct Terminal: Sendable {
    public let out: @Sendable (String) -> Void
    public let err: @Sendable (String) -> Void

    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void) {
        self.out = out
        self.err = err
    }

    /// The process's own standard output and error, one `write` per line.
    /// Control characters (but line breaks and tabs, which views use) are
    /// escaped on the way out, whatever view printed them (`TerminalText`).
    public static let standard = Terminal(
        out: { StandardStream.output.line(TerminalText.escaped($0, keepingLineBreaks: true)) },
        err: { StandardStream.error.line(TerminalText.escaped($0, keepingLineBreaks: true)) }
    )
}
