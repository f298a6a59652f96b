import Glibc
import SluicePOSIX
import SluiceTestSupport

/// A `sluice-test-child` spool role running as a real process, its standard
/// output captured in a file. Killed and reaped on `stop()` or deinit, so a
/// failing test leaves no process behind.
final class SpoolChild {
    let process: ChildProcess
    let outputPath: String
    private var reaped: ExitStatus?

    init(_ role: String, _ arguments: [String], outputPath: String) throws {
        self.outputPath = outputPath
        process = try ChildProcess.spawn(
            executable: ChildProcessRunner.product("sluice-test-child"),
            arguments: [role] + arguments,
            standardOutput: outputPath,
            standardError: outputPath + ".err"
        )
    }

    /// Every complete line printed so far (a line cut by a kill is ignored).
    var lines: [String] {
        guard let text = readTextFile(outputPath) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // after the last newline: empty, or a cut line
        return lines
    }

    var errors: String { readTextFile(outputPath + ".err") ?? "" }

    /// Waits until a line satisfies `condition`; false on timeout.
    func waitForLine(seconds: Double = 20, _ condition: (String) -> Bool) -> Bool {
        ChildProcessRunner.waitUntil(seconds: seconds) { lines.contains(where: condition) || exited }
            && lines.contains(where: condition)
    }

    /// Whether the process has ended (reaping it if so).
    var exited: Bool {
        if reaped == nil { reaped = try? process.pollExit() }
        return reaped != nil
    }

    /// Waits up to `seconds` for the process to end by itself; SIGKILLs it after that.
    @discardableResult
    func waitForExit(seconds: Double) -> ExitStatus? {
        if !ChildProcessRunner.waitUntil(seconds: seconds, { exited }) { return stop() }
        return reaped
    }

    /// SIGKILLs the process (if it still runs) and reaps it.
    @discardableResult
    func stop() -> ExitStatus? {
        if reaped == nil {
            process.send(SIGKILL)
            reaped = try? process.waitForExit()
        }
        return reaped
    }

    deinit { stop() }
}
