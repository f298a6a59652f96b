import Foundation
import Glibc
import SluiceControl
import SluiceCore
import SluiceHTTP
import SluiceJSON
import SluicePOSIX
import SluiceSpool
import SluiceTestSupport
import Testing

/// A sandbox and a fleet, both real `sluice` processes, in a scratch
/// directory with their own segment; torn down (killed, reaped, removed) on deinit.
final class FleetFixture: @unchecked Sendable {
    let files: ScratchDirectory
    let fleet = ScratchFleet("e2e")
    let sandbox: SpawnedChild
    let port: UInt16
    private(set) var fleetProcess: SpawnedChild?
    private(set) var configPath = ""
    private var starts = 0
    let sluice = ChildProcessRunner.product("sluice")

    static let credentials = [
        "SENDGRID_API_KEY": "SG.test", "STRIPE_API_KEY": "sk_test_e2e", "OPENAI_API_KEY": "sk-e2e", "TWILIO_AUTH_TOKEN": "twilio-secret-e2e",
    ]

    /// Starts the sandbox with `sandboxConfiguration` (its JSON).
    init(sandboxConfiguration: String) throws {
        files = try ScratchDirectory(label: "e2e")
        try sandboxConfiguration.write(toFile: files.file("sandbox.json"), atomically: true, encoding: .utf8)
        sandbox = try SpawnedChild(sluice, ["sandbox", "--listen", "127.0.0.1:0", "--config", files.file("sandbox.json")],
                                   in: files, label: "sandbox")
        guard sandbox.waitForOutput(containing: "\n"),
              let portText = sandbox.output.split(separator: ":").last?.split(separator: "\n").first,
              let port = UInt16(portText) else {
            throw FixtureError("the sandbox did not start: \(sandbox.output) \(sandbox.errors)")
        }
        self.port = port
    }

    deinit {
        fleetProcess?.kill()
        sandbox.kill()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var spoolRoot: String { files.file("spool") }

    /// Writes the fleet's configuration: `queues` is the JSON of the
    /// `queues` object, with `BASE` standing for the sandbox's base URL;
    /// `extra` adds top-level members (`"adminToken": "…",`). The listener
    /// takes a port the OS picks (found in the spool's control.json).
    func configure(queues: String, shutdownTimeout: String = "10s", listen: String = "127.0.0.1:0", extra: String = "") throws {
        let text = """
            {"fleet": "\(fleet.name)", "spool": "\(spoolRoot)", "shutdownTimeout": "\(shutdownTimeout)", "listen": "\(listen)", \(extra)
             "queues": \(queues.replacingOccurrences(of: "BASE", with: baseURL))}
            """
        configPath = files.file("fleet.json")
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Enqueues NDJSON lines with the real CLI; every line must be accepted.
    func enqueue(_ queue: String, _ lines: [String]) throws {
        let path = files.file("tasks-\(queue).ndjson")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let enqueue = try SpawnedChild(sluice, ["enqueue", queue, "--config", configPath, "-f", path], in: files, label: "enqueue-\(queue)")
        let status = try enqueue.wait()
        guard status == .exited(0) else { throw FixtureError("enqueue \(queue) \(status): \(enqueue.errors)") }
    }

    /// Writes NDJSON lines straight into the spool (`--spool`, no fleet to ask
    /// for rules: nothing checks them), as tasks queued before the door
    /// existed; every line must be accepted. Only while the fleet is stopped.
    func enqueueUnchecked(_ queue: String, _ lines: [String]) throws {
        let path = files.file("unchecked-\(queue).ndjson")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let enqueue = try SpawnedChild(sluice, ["enqueue", queue, "--spool", spoolRoot, "-f", path], in: files, label: "unchecked-\(queue)")
        let status = try enqueue.wait()
        guard status == .exited(0), enqueue.errors.isEmpty else { throw FixtureError("enqueue \(queue) \(status): \(enqueue.errors)") }
    }

    /// Starts `sluice run` with the credentials in its environment (again
    /// after a stop: each start logs to its own file).
    /// With `descriptorLimit`, the fleet runs under `ulimit -n` of it (soft and hard).
    func startFleet(environment: [String: String] = FleetFixture.credentials, descriptorLimit: Int? = nil) throws {
        starts += 1
        if let descriptorLimit {
            fleetProcess = try SpawnedChild("/bin/sh", ["-c", "ulimit -n \(descriptorLimit) && exec \"$0\" run --config \"$1\"", sluice, configPath],
                                            in: files, label: "fleet-\(starts)", environment: environment)
        } else {
            fleetProcess = try SpawnedChild(sluice, ["run", "--config", configPath], in: files, label: "fleet-\(starts)", environment: environment)
        }
        guard ChildProcessRunner.waitUntil(seconds: 20, { (self.fleetProcess?.errors ?? "").contains("event=worker.started") }) else {
            throw FixtureError("the fleet did not start: \(fleetProcess?.errors ?? "")")
        }
    }

    /// SIGTERMs the fleet and waits for it; returns its exit status and how long it took.
    func stopFleet() throws -> (SluicePOSIX.ExitStatus, seconds: Double) {
        guard let fleetProcess else { throw FixtureError("no fleet running") }
        let started = MonotonicClock.now()
        fleetProcess.process.send(SIGTERM)
        let status = try fleetProcess.wait()
        return (status, Double(MonotonicClock.now() - started) / 1e9)
    }

    func counts(_ queue: String) throws -> QueueCounts {
        try SpoolQueue(root: spoolRoot, name: QueueName(validating: queue), create: false).counts()
    }

    /// Waits until none of `queues` has a ready or leased task.
    func waitUntilDrained(_ queues: [String], seconds: Double) -> Bool {
        ChildProcessRunner.waitUntil(seconds: seconds) {
            queues.allSatisfy { queue in
                guard let counts = try? self.counts(queue) else { return false }
                return counts.readyDue + counts.readyWaiting + counts.leased + counts.journaled == 0
            }
        }
    }

    /// The sandbox's `/__sandbox/stats`, parsed.
    func stats() throws -> JSONObject {
        guard let response = try TestHTTPConnection.request(port: port, "GET", "/__sandbox/stats"), response.status == 200,
              case .object(let stats) = try JSONParser.parse(response.body) else {
            throw FixtureError("no stats from the sandbox")
        }
        return stats
    }

    /// Replaces the sandbox's faults (`POST /__sandbox/faults`).
    func setFaults(_ json: String) throws {
        guard let response = try TestHTTPConnection.request(port: port, "POST", "/__sandbox/faults",
                                                             headers: [("Content-Type", "application/json")], body: Array(json.utf8)),
              response.status == 200 else { throw FixtureError("faults not accepted: \(json)") }
    }

    /// The running fleet's control-plane address (from its control.json).
    func controlAddress() throws -> SocketAddress {
        var endpoint: ControlEndpoint?
        _ = ChildProcessRunner.waitUntil(seconds: 10) {
            endpoint = ControlEndpoint.read(root: self.spoolRoot)
            return endpoint != nil && endpoint?.pid == self.fleetProcess?.pid
        }
        guard let endpoint, endpoint.pid == fleetProcess?.pid else { throw FixtureError("the fleet wrote no control.json") }
        return endpoint.connectAddress
    }

    /// One request to the running fleet's control plane.
    func api(_ method: String, _ path: String, body: String = "", contentType: String = "application/json",
             token: String? = nil) throws -> ControlClient.Response {
        try ControlClient(address: controlAddress(), token: token).send(method, path, body: Array(body.utf8), contentType: contentType)
    }

    /// Runs the real CLI with `arguments` (plus `--config`); returns its exit status, output and errors.
    func cli(_ arguments: [String], environment: [String: String] = [:]) throws -> (SluicePOSIX.ExitStatus, String, String) {
        let child = try SpawnedChild(sluice, arguments + ["--config", configPath], in: files,
                                     label: "cli-\(arguments.prefix(2).joined(separator: "-"))-\(UniqueName.fleet("c"))", environment: environment)
        let status = try child.wait()
        return (status, child.output, child.errors)
    }

    /// What the fleet logged, one event per line.
    var fleetLog: [Substring] { (fleetProcess?.errors ?? "").split(separator: "\n") }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `stats.path.to.number` as an Int (0 if absent).
func number(_ object: JSONObject, _ path: String...) -> Int { object.integer(at: path) ?? 0 }
