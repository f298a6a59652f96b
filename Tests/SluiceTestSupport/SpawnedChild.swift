import Glibc
import SluicePOSIX

/// A child process whose standard output goes to a file the test can read
/// while it runs. Killed and reaped on `stop()` or deinit, so no test leaves
/// a process behind.
public final class SpawnedChild: @unchecked Sendable {
    public let process: ChildProcess
    public let outputPath: String
    private var reaped: ExitStatus?

    /// Spawns `executable`; its output goes to `<label>.out` and `<label>.err` in `scratch`.
    /// `environment` adds to (or replaces entries of) the test's own environment.
    public init(_ executable: String, _ arguments: [String], in scratch: ScratchDirectory, label: String,
                environment: [String: String] = [:]) throws {
        outputPath = scratch.file("\(label).out")
        errorPath = scratch.file("\(label).err")
        let inherited = environment.isEmpty ? nil : ProcessEnvironment.current.merging(environment) { _, new in new }
        process = try ChildProcess.spawn(executable: executable, arguments: arguments, environment: inherited,
                                         standardOutput: outputPath, standardError: errorPath)
    }

    public let errorPath: String

    /// What the child has written to standard error so far.
    public var errors: String { readTextFile(errorPath) ?? "" }

    public var pid: pid_t { process.pid }

    /// What the child has printed on standard output so far.
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
