import Foundation
import Glibc
import SluicePOSIX
import SluiceTestSupport
import Testing

/// The spool on a real, small file system that fills up: ingest answers
/// 507 and queues nothing, what was queued before is intact, and ingest
/// works again once space returns.
@Suite(.serialized) struct DiskFullTests {
    @Test func aFullDisk_is507_losesNothing_andIngestResumesWhenSpaceReturns() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        let spool = fixture.spoolRoot
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        // A 4 MiB tmpfs as the spool root (the tests run as root, as CI does).
        let mount = try SpawnedChild("/bin/mount", ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", spool], in: fixture.files, label: "mount")
        guard try mount.wait() == .exited(0) else {
            throw FixtureError("cannot mount a tmpfs for the spool (this test needs root): \(mount.errors)")
        }
        defer { ChildProcessRunner.run("/bin/umount", ["-l", spool]) }
        try fixture.configure(queues: IngestAPITests.stripeQueue)
        try fixture.startFleet()
        defer { _ = try? fixture.stopFleet() }
        #expect(try fixture.api("POST", "/v1/queues/stripe-api/pause").status == 200)
        let before = try fixture.api("POST", "/v1/queues/stripe-api/tasks",
                                     body: FleetEndToEndTests.payments(20, prefix: "before").joined(separator: "\n"), contentType: "application/x-ndjson")
        #expect(before.status == 202)

        // Fill the file system to the last block.
        let filler = "\(spool)/filler"
        _ = ChildProcessRunner.run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k", "status=none"])
        let full = try fixture.api("POST", "/v1/queues/stripe-api/tasks",
                                   body: FleetEndToEndTests.payments(20, prefix: "full").joined(separator: "\n"), contentType: "application/x-ndjson")
        #expect(full.status == 507, "\(full.status) \(full.message)")
        #expect(full.message.contains("full") && full.message.contains("nothing"), "\(full.message)")

        let taskFile = fixture.files.file("one.ndjson")
        try (FleetEndToEndTests.payments(1, prefix: "cli-full")[0] + "\n").write(toFile: taskFile, atomically: true, encoding: .utf8)
        let (cliStatus, _, cliErrors) = try fixture.cli(["enqueue", "stripe-api", "-f", taskFile])
        #expect(cliStatus == .exited(1), "the CLI fails clearly on a full disk: \(cliErrors)")
        #expect(cliErrors.contains("No space left on device") || cliErrors.contains("full"), "\(cliErrors)")

        unlink(filler)
        let after = try fixture.api("POST", "/v1/queues/stripe-api/tasks",
                                    body: FleetEndToEndTests.payments(20, prefix: "after").joined(separator: "\n"), contentType: "application/x-ndjson")
        #expect(after.status == 202)
        let counts = try fixture.counts("stripe-api")
        #expect(counts.readyDue + counts.readyWaiting + counts.journaled == 40, "20 before + 20 after; none of the refused batch")
        for id in ["before-0", "before-19", "after-0", "after-19"] {
            #expect(try fixture.api("GET", "/v1/tasks/\(id)").status == 200)
        }
        #expect(try fixture.api("GET", "/v1/tasks/full-0").status == 404)

        // And the work itself resumes: every queued task is sent.
        #expect(try fixture.api("POST", "/v1/queues/stripe-api/resume").status == 200)
        #expect(fixture.waitUntilDrained(["stripe-api"], seconds: 20))
        #expect(number(try fixture.stats(), "endpoints", "stripe.payment_intents", "successes") == 40)
    }
}
