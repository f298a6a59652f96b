import Glibc
import SluicePOSIX

/// A child process whose standard output goes to a file the test can read
/// while it runs. Killed and reaped on `stop()` or deinit, so no test leaves
/// a process behind.
public final class SpawnedChild: @unchecked Sendable {
    public let process: ChildProcess
    public let outputPath: String
    private var reaped: ExitStatus?

    public init(_ executable: String, _ arguments: [String], in scratch: ScratchDirectory, label: String) throws {
        outputPath = scratch.file("\(label).out")
        process = try ChildProcess.spawn(executable: executable, arguments: arguments,
                                         standardOutput: outputPath, standardError: scratch.file("\(label).err"))
    }

    public var pid: pid_t { process.pid }

    /// What the child has printed so far.
    public var output: String { readTextFile(outputPath) ?? "" }

    /// Waits up to `seconds` for the output to contain `text`.
    public func waitForOutput(containing text: String, seconds: Double = 10) -> Bool {
        ChildProcessRunner.waitUntil(seconds: seconds) { self.output.contains(text) }
    }

    /// Waits for the child to end and reaps it.
    @discardableResult
    public func wait() throws -> ExitStatus {
        if let reaped { return reaped }
        let status = try process.waitForExit()
        reaped = status
        return status
    }

    /// SIGKILLs the child (if still running) and reaps it.
    @discardableResult
    public func kill() -> ExitStatus? {
        if reaped == nil { process.send(SIGKILL) }
        return try? wait()
    }

    deinit { kill() }
}
