import Foundation
import Glibc
import SluiceCore
import SluicePOSIX
import SluiceSpool
import SluiceTestSupport
import Testing

/// `sluice worker` without `--parent`: the mode of `sluice-worker@QUEUE.N.service`,
/// where systemd, not the supervisor, starts and restarts workers.
@Suite(.serialized) struct UnsupervisedWorkerTests {
    /// No supervisor exists: the worker creates the segment itself, returns
    /// a lease left by a dead process before claiming, sends everything, and
    /// drains on SIGTERM. Its `--queue` is a systemd instance name (`.2`).
    @Test func workerAlone_createsTheSegmentRecoversDeadLeasesAndSendsEverything() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "20/s"}}"#)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(5, prefix: "alone"))
        #expect(!fixture.fleet.exists, "no segment before the worker")

        // A worker that died holding a lease: a pid that has exited, claiming through the spool.
        let gone = try ChildProcess.spawn(executable: "/bin/true", arguments: [])
        _ = try gone.waitForExit()
        let orphaned = try SpoolQueue(root: fixture.spoolRoot, name: QueueName(validating: "stripe-api"), pid: gone.pid).claim()
        #expect(orphaned != nil)
        #expect(try fixture.counts("stripe-api").leasedByGoneProcesses == 1)

        let worker = try SpawnedChild(fixture.sluice, ["worker", "--config", fixture.configPath, "--queue", "stripe-api.2"],
                                      in: fixture.files, label: "worker-alone", environment: FleetFixture.credentials)
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 30), "\(worker.errors)")
        #expect(fixture.fleet.exists, "the worker created the segment")
        let recovered = worker.errors.split(separator: "\n").compactMap(LoggedEvent.init).first { $0.name == "worker.recovered" }
        #expect(recovered?.fields["leases_returned"] == "1")

        worker.process.send(SIGTERM)
        #expect(try worker.wait() == .exited(0))
        let stats = try fixture.stats()
        #expect(number(stats, "endpoints", "stripe.payment_intents", "successes") == 5, "the orphaned task was sent too")
        #expect(try fixture.counts("stripe-api").dead == 0)
    }

    /// A container restarts its worker as pid 1 again: the leases the last
    /// pid 1 held carry the new worker's own pid, and are still returned.
    /// The worker runs as pid 1 of a fresh pid namespace (unshare(1)).
    @Test func workerAsPidOneAgain_returnsTheLeasesOfThePreviousPidOne() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: #"{"stripe-api": {"provider": "stripe", "baseURL": "BASE", "rate": "20/s"}}"#)
        try fixture.enqueue("stripe-api", FleetEndToEndTests.payments(3, prefix: "pid1"))
        let previous = try SpoolQueue(root: fixture.spoolRoot, name: QueueName(validating: "stripe-api"), pid: 1).claim()
        #expect(previous != nil, "a lease named leased/1-…, as the previous pid 1 left it")

        let worker = try SpawnedChild("/usr/bin/unshare", ["--pid", "--fork", "--mount-proc", "--kill-child=SIGTERM", fixture.sluice,
                                                           "worker", "--config", fixture.configPath, "--queue", "stripe-api"],
                                      in: fixture.files, label: "worker-pid1", environment: FleetFixture.credentials)
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 30), "\(worker.errors)")
        let logged = worker.errors.split(separator: "\n").compactMap(LoggedEvent.init)
        #expect(logged.first { $0.name == "worker.started" }?.fields["pid"] == "1", "the worker really was pid 1")
        #expect(logged.first { $0.name == "worker.recovered" }?.fields["leases_returned"] == "1")
        // unshare ignores SIGTERM while it waits: stop the worker itself, as a container runtime would.
        let children = readTextFile("/proc/\(worker.pid)/task/\(worker.pid)/children") ?? ""
        let inner = try #require(children.split(separator: " ").first.flatMap { pid_t($0) }, "unshare's child")
        kill(inner, SIGTERM)
        var exit: SluicePOSIX.ExitStatus?
        _ = ChildProcessRunner.waitUntil(seconds: 20) { exit = exit ?? (try? worker.process.pollExit()) ?? nil; return exit != nil }
        #expect(exit == .exited(0), "the worker drained and exited 0")
        let stats = try fixture.stats()
        #expect(number(stats, "endpoints", "stripe.payment_intents", "successes") == 3, "the previous pid 1's task was sent too")
    }
}
