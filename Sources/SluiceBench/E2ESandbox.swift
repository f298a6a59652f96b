import Foundation
import Glibc
import SluiceJSON
import SluicePOSIX

/// A `sluice sandbox` the bench started on 127.0.0.1 (a port the kernel
/// chose), and what it saw.
struct E2ESandbox {
    let process: ChildProcess
    let port: UInt16
    let label: String

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts it with `configuration` (its JSON) and waits for "sandbox listening on 127.0.0.1:PORT".
    static func start(executable: String, scratch: E2EScratch, configuration: String, label: String) throws -> E2ESandbox {
        try configuration.write(toFile: scratch.file("\(label).json"), atomically: true, encoding: .utf8)
        let process = try scratch.spawn(executable, ["sandbox", "--listen", "127.0.0.1:0", "--config", scratch.file("\(label).json")], label: label)
        let deadline = MonotonicClock.now() + 20_000_000_000
        while MonotonicClock.now() < deadline {
            let output = (try? String(contentsOfFile: scratch.file("\(label).out"), encoding: .utf8)) ?? ""
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("sandbox listening on ") }),
               let port = line.split(separator: ":").last.flatMap({ UInt16($0) }) {
                return E2ESandbox(process: process, port: port, label: label)
            }
            if try process.pollExit() != nil { break }
            usleep(20_000)
        }
        throw BenchError("bench e2e: the sandbox did not start: \(scratch.errors(label))")
    }

    /// `GET /__sandbox/stats`, parsed.
    func stats() throws -> JSONObject {
        let answer = try E2EBareHTTPClient(port: port).exchange("GET", "/__sandbox/stats")
        guard answer.status == 200, case .object(let stats) = try JSONParser.parse(answer.body) else {
            throw BenchError("bench e2e: the sandbox's stats answered \(answer.status)")
        }
        return stats
    }

    /// `POST /__sandbox/faults`: the sandbox's fault plan from now on.
    func setFaults(_ json: String) throws {
        let answer = try E2EBareHTTPClient(port: port).exchange("POST", "/__sandbox/faults", body: Array(json.utf8))
        guard answer.status == 200 else {
            throw BenchError("bench: the sandbox refused the faults \(json): \(String(decoding: answer.body, as: UTF8.self))")
        }
    }

    /// `GET /__sandbox/arrivals`, parsed: per endpoint, every request's instant (µs from
    /// `monotonicStart`, the CLOCK_MONOTONIC ns they count from) and status.
    func arrivals() throws -> JSONObject {
        let answer = try E2EBareHTTPClient(port: port).exchange("GET", "/__sandbox/arrivals")
        guard answer.status == 200, case .object(let arrivals) = try JSONParser.parse(answer.body) else {
            throw BenchError("bench: the sandbox's arrivals answered \(answer.status)")
        }
        return arrivals
    }

    /// `GET /__sandbox/arrivals` (every provider request's instant and status), written as is to `path`.
    func saveArrivals(to path: String) throws {
        let answer = try E2EBareHTTPClient(port: port).exchange("GET", "/__sandbox/arrivals")
        guard answer.status == 200 else { throw BenchError("bench e2e: the sandbox's arrivals answered \(answer.status)") }
        try Data(answer.body).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Stops it (SIGTERM, reaped); returns the CPU seconds it used, read just before.
    func stop(scratch: E2EScratch) throws -> Double {
        let cpu = E2EProcessSample.read(process.pid)?.cpuSeconds ?? 0
        process.send(SIGTERM)
        _ = try scratch.wait(process)
        return cpu
    }
}
