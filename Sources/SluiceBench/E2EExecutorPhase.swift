import Foundation
import Glibc

/// The executor measurement from the parent's side: a sandbox with no
/// limits, one child process (`bench e2e-executor`) measuring against its
/// echo route, the child's JSON report plus what the sandbox saw.
struct E2EExecutorPhase {
    let executable: String
    let scratch: E2EScratch
    let seconds: Double
    let latencySeconds: Double
    let concurrency: Int

    func run() throws -> E2EExecutorReport {
        let sandbox = try E2ESandbox.start(executable: executable, scratch: scratch, configuration: #"{"limits": {}}"#, label: "echo-sandbox")
        let label = "executor"
        let child = try scratch.spawn(executable, [
            "bench", "e2e-executor", "--port", "\(sandbox.port)", "--seconds", "\(seconds)", "--latency-seconds", "\(latencySeconds)",
            "--concurrency", "\(concurrency)", "--parent", "\(getpid())",
        ], label: label)
        let status = try scratch.wait(child)
        guard status == .exited(0), let data = FileManager.default.contents(atPath: scratch.file("\(label).out")) else {
            throw BenchError("bench e2e: the executor process \(status): \(scratch.errors(label))")
        }
        var report = try JSONDecoder().decode(E2EExecutorReport.self, from: data)
        report.sandboxEchoes = try sandbox.stats().integer(at: "endpoints", "sandbox.echo", "successes") ?? 0
        report.sandboxCPUSeconds = try sandbox.stop(scratch: scratch)
        return report
    }
}
