/// Every `sluice` subcommand. Each area lists its commands in its own file
/// (`BenchCommands.swift`, `SpoolCommands.swift`, …); this joins them.
enum CommandTable {
    static let all: [Command] = fleetCommands + fleetAdminCommands + [topCommand] + spoolCommands + sandboxCommands + benchCommands + e2eBenchCommands + [scheduleBenchCommand]
}
