import Glibc
import SluicePOSIX
import SluiceSpool

/// A benchmark worker process, its output in a file; killed and reaped on `stop()`.
final class SpoolBenchChild {
    let process: ChildProcess
    let output: String
    private var reaped = false

    init(_ command: [String], output: String) throws {
        self.output = output
        process = try ChildProcess.spawn(executable: command[0], arguments: Array(command.dropFirst()),
                                         standardOutput: output, standardError: output + ".err")
    }

    /// Waits for a line starting with `prefix` and returns its words; throws
    /// if the process ends first or `seconds` pass.
    @discardableResult
    func waitForLine(prefix: String, seconds: Double) throws -> [String] {
        let deadline = MonotonicClock.now() + UInt64(seconds * 1e9)
        while MonotonicClock.now() < deadline {
            if let line = lines().first(where: { $0.hasPrefix(prefix + " ") || $0 == prefix }) {
                return line.split(separator: " ").map(String.init)
            }
            if !reaped, let status = try? process.pollExit() {
                reaped = true
                if lines().contains(where: { $0.hasPrefix(prefix) }) { continue }
                throw SpoolError("bench worker \(process.pid) \(status) before \"\(prefix)\": \(read(output + ".err"))")
            }
            usleep(1000)
        }
        throw SpoolError("bench worker \(process.pid) did not say \"\(prefix)\" within \(Int(seconds)) s")
    }

    func stop() {
        guard !reaped else { return }
        process.send(SIGKILL)
        _ = try? process.waitForExit()
        reaped = true
    }

    private func lines() -> [String] {
        read(output).split(separator: "\n").map(String.init)
    }

    private func read(_ path: String) -> String {
        (try? FileContents.read(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
