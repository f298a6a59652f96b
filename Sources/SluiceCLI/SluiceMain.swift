import Glibc

/// The `sluice` program: picks the subcommand from the leading words and runs it.
public enum SluiceMain {
    /// Runs `sluice` with `arguments` (without argv[0]) and returns the exit code.
    public static func run(_ arguments: [String], terminal: Terminal = .standard) -> Int32 {
        let commands = CommandTable.all
        guard let command = longestMatch(arguments, in: commands) else {
            if arguments == ["--help"] || arguments == ["-h"] || arguments == ["help"] {
                terminal.out(overview(commands))
                return ExitCode.success
            }
            // No command is a bad command line (exit 2), not a success: a script
            // whose arguments were lost must not carry on as if it had enqueued.
            if arguments.isEmpty {
                terminal.err(overview(commands))
                return ExitCode.usage
            }
            terminal.err("sluice: unknown command \"\(arguments.prefix(2).joined(separator: " "))\"; see sluice --help")
            return ExitCode.usage
        }
        var rest = Arguments(Array(arguments.dropFirst(command.path.count)))
        if rest.wantsHelp {
            terminal.out(command.usage)
            return ExitCode.success
        }
        do {
            return try command.run(&rest, terminal)
        } catch let error as UsageError {
            terminal.err("sluice \(command.path.joined(separator: " ")): \(error)\nusage: \(command.usage)")
            return ExitCode.usage
        } catch {
            terminal.err("sluice \(command.path.joined(separator: " ")): \(error)")
            return ExitCode.failure
        }
    }

    private static func longestMatch(_ arguments: [String], in commands: [Command]) -> Command? {
        commands
            .filter { arguments.starts(with: $0.path) }
            .max { $0.path.count < $1.path.count }
    }

    private static func overview(_ commands: [Command]) -> String {
        let visible = commands.filter { !$0.hidden }
        let width = visible.map { $0.path.joined(separator: " ").count }.max() ?? 0
        let lines = visible.map { command in
            let name = command.path.joined(separator: " ")
            return "  " + name + String(repeating: " ", count: width - name.count + 2) + command.summary
        }
        return """
            sluice: call rate-limited APIs from many processes, within their limits, losing no task.

            usage: sluice <command> [options]    (sluice <command> --help for details)

            commands:
            \(lines.joined(separator: "\n"))
            """
    }
}
