import Foundation
import Glibc
import SluiceLimiter
import SluicePOSIX
import Synchronization

/// Everything one run of `bench e2e` (or one scenario of `bench schedule`)
/// starts: a scratch directory, child processes, and a fleet's shared-memory
/// segment; `tearDown()` undoes all of it, whatever state the run is in.
///
/// Invariant: every child spawned through `spawn` is in `children` until it
/// has been reaped, so tear-down can signal and reap exactly those, by pid.
final class E2EScratch: Sendable {
    let directory: String
    let fleet: FleetName
    /// Leave the directory (logs, spool) for inspection; processes and the segment still go.
    let keep: Bool
    /// The bench this is for (`e2e`, `schedule`), as its errors name it: "bench e2e: …".
    let bench: String
    private let children = Mutex<[pid_t: String]>([:])
    /// Held for the whole tear-down: a signal's tear-down and the run's own
    /// never interleave (two recursive removals racing both give up half-way).
    private let tornDown = Mutex<Bool>(false)

    /// Makes a fresh directory under `parent` (owner-only) and picks a fleet name no one else uses;
    /// `bench` names the bench (`e2e`, `schedule`) in both and in errors.
    init(parent: String, keep: Bool = false, bench: String = "e2e") throws {
        self.keep = keep
        self.bench = bench
        var template = Array("\(parent)/sluice-\(bench)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw BenchError("bench \(bench): cannot make a scratch directory in \(parent): \(String(cString: strerror(errno))); pass --dir DIR")
        }
        directory = String(cString: made)
        fleet = try FleetName(validating: "\(bench)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    func file(_ name: String) -> String { "\(directory)/\(name)" }

    /// Spawns `executable arguments`, its output to `<label>.out` and `.err` here.
    func spawn(_ executable: String, _ arguments: [String], label: String, environment: [String: String]? = nil) throws -> ChildProcess {
        let child = try ChildProcess.spawn(executable: executable, arguments: arguments, environment: environment,
                                           standardOutput: file("\(label).out"), standardError: file("\(label).err"))
        children.withLock { $0[child.pid] = label }
        return child
    }

    /// Waits for a child this scratch spawned, and forgets it.
    func wait(_ child: ChildProcess) throws -> ExitStatus {
        let status = try child.waitForExit()
        _ = children.withLock { $0.removeValue(forKey: child.pid) }
        return status
    }

    /// What a child wrote to standard error (for error messages).
    func errors(_ label: String) -> String {
        ((try? String(contentsOfFile: file("\(label).err"), encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SIGTERMs every child still here, SIGKILLs those still alive after
    /// `grace` ns, reaps them all, removes the segment and (unless `keep`) the directory.
    /// Safe to call twice.
    func tearDown(grace: UInt64 = 15_000_000_000) {
        tornDown.withLock { done in
            guard !done else { return }
            reapAll(grace: grace)
            _ = try? Coordinator.remove(fleet: fleet)
            if !keep { try? FileManager.default.removeItem(atPath: directory) }
            done = true
        }
    }

    private func reapAll(grace: UInt64) {
        let pids = children.withLock { Array($0.keys) }
        for pid in pids { kill(pid, SIGTERM) }
        let deadline = MonotonicClock.now() + grace
        var remaining = Set(pids)
        while !remaining.isEmpty {
            for pid in remaining {
                var status: Int32 = 0
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid || (reaped < 0 && errno == ECHILD) { remaining.remove(pid) }
            }
            if remaining.isEmpty { break }
            if MonotonicClock.now() > deadline {
                for pid in remaining { kill(pid, SIGKILL) }
            }
            usleep(20_000)
        }
        children.withLock { $0.removeAll() }
    }
}
