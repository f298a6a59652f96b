/// One `sluice` subcommand (or sub-subcommand, e.g. `queue describe`).
public struct Command: Sendable {
    /// The words that select it, e.g. `["queue", "describe"]`.
    public let path: [String]
    /// One line for `sluice --help`.
    public let summary: String
    /// The full usage text for `sluice <path> --help`.
    public let usage: String
    /// Runs the command; returns the process exit code.
    public let run: @Sendable (inout Arguments, Terminal) throws -> Int32
    /// Hidden commands are internal (a bench child process) and not listed.
    public let hidden: Bool

    public init(
        _ path: [String], summary: String, usage: String, hidden: Bool = false,
        run: @escaping @Sendable (inout Arguments, Terminal) throws -> Int32
    ) {
        self.path = path
        self.summary = summary
        self.usage = usage
        self.hidden = hidden
        self.run = run
    }
}

/// Exit codes scripts can rely on.
public enum ExitCode {
    public static let success: Int32 = 0
    /// The command ran and the answer is "no" or "not all" (e.g. a task was refused).
    public static let failure: Int32 = 1
    /// The command line was wrong; nothing was done.
    public static let usage: Int32 = 2
}
