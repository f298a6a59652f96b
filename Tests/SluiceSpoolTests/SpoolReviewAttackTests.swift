import Foundation
import Glibc
import SluiceCore
import SluicePOSIX
import SluiceTestSupport
import Synchronization
import Testing
@testable import SluiceSpool

/// Defects found by the review attack on issue 17's change (spool-review).
/// Each test fails on the change as it stands; each names the call where it happens.
///
/// Two of them need an error from a *look-up* (`Directory.exists`,
/// `Directory.identity`), which the `SpoolFaults` seam cannot inject (it only
/// `observe`s look-ups): those run the real binary under `strace -e inject`.
@Suite(.serialized) struct SpoolReviewAttackTests {
    // MARK: strace helper

    struct Traced {
        let status: SluicePOSIX.ExitStatus?
        let trace: String
        let output: String
        let errors: String
    }

    static let strace = "/usr/bin/strace"
    static var canTrace: Bool { access(strace, X_OK) == 0 }

    /// Runs `executable arguments…` under strace, tracing `call` (and failing
    /// its `when`-th call with `errno` if given).
    static func traced(_ executable: String, _ arguments: [String], call: String, inject: String? = nil,
                       in scratch: ScratchDirectory, label: String) throws -> Traced {
        let tracePath = scratch.file("\(label).trace"), out = scratch.file("\(label).out"), err = scratch.file("\(label).err")
        var options = ["-f", "-qq", "-o", tracePath, "-e", "trace=\(call)"]
        if let inject { options += ["-e", "inject=\(call):\(inject)"] }
        let child = try ChildProcess.spawn(executable: strace, arguments: options + ["--", executable] + arguments,
                                           standardOutput: out, standardError: err)
        let status = try child.waitForExit()
        return Traced(status: status, trace: readTextFile(tracePath) ?? "", output: readTextFile(out) ?? "", errors: readTextFile(err) ?? "")
    }

    /// The 1-based index, among the traced calls, of the first whose line contains `needle`.
    static func index(in trace: String, of call: String, containing needle: String, occurrence: Int = 1) -> Int? {
        var count = 0, seen = 0
        for line in trace.split(separator: "\n") where line.contains("\(call)(") {
            count += 1
            if line.contains(needle) {
                seen += 1
                if seen == occurrence { return count }
            }
        }
        return nil
    }

    // MARK: A. lost acknowledged task: a transient error on the marker's stat drops it as a "duplicate"

    /// `JournalExpander.prepare`: `link` of a marker that already exists (always
    /// the case for a batch `enqueue` has just marked) is followed by
    /// `folders.ids.identity(of: key) != origin`. `identity` returns nil on
    /// *any* fstatat error, so one EIO/ENOMEM there makes the task "a
    /// duplicate": its line is skipped, the batch is published without it, and
    /// its marker stays: `sluice enqueue` printed the id and exited 0, the task
    /// never exists, `task show` says "done", a re-enqueue is refused.
    @Test func expansion_whenStatOfOwnMarkerFailsOnce_keepsTheAcknowledgedTask() throws {
        guard Self.canTrace else { return }
        let spool = try SpoolFixture("attack-marker-stat")
        let sluice = ChildProcessRunner.product("sluice")
        let task = #"{"id":"lost","kind":"send_email","payload":{}}"#
        // Same state in both roots: a queue that already exists.
        let dryRoot = spool.scratch.file("dry")
        for root in [dryRoot, spool.root] {
            _ = try SluiceRun(["enqueue", "emails", "--spool", root, "--json", #"{"id":"warm","kind":"send_email","payload":{}}"#], in: spool.scratch)
        }
        let dry = try Self.traced(sluice, ["enqueue", "emails", "--spool", dryRoot, "--json", task], call: "newfstatat",
                                  in: spool.scratch, label: "dry")
        let step = try #require(Self.index(in: dry.trace, of: "newfstatat", containing: "\"lost\""), "the expansion stats ids/lost")
        let run = try Self.traced(sluice, ["enqueue", "emails", "--spool", spool.root, "--json", task], call: "newfstatat",
                                  inject: "error=EIO:when=\(step)", in: spool.scratch, label: "run")
        try #require(run.trace.split(separator: "\n").contains { $0.contains("\"lost\"") && $0.contains("INJECTED") },
                     "the EIO hit the stat of ids/lost: \(run.trace.suffix(2000))")
        let acknowledged = run.status == SluicePOSIX.ExitStatus.exited(0) && run.output.split(separator: "\n").contains("lost")
        #expect(acknowledged, "sluice enqueue acknowledged the task: \(run.output) \(run.errors)")
        // The CLI enqueued with the real clock: claim with it too.
        let queue = try SpoolQueue(root: spool.root, name: QueueName(validating: "emails"))
        _ = try queue.recover()
        let state = try queue.status(of: TaskID(validating: "lost"))
        #expect(state?.state.description == "ready", "an acknowledged task is ready, not \(String(describing: state?.state)) (\(state?.problem ?? ""))")
        #expect(try queue.claimAll().map(\.task.id.rawValue).contains("lost"), "the acknowledged task runs")
    }

    /// The same in phase 2: `publish` skips a line when
    /// `folders.tmp.exists("x-<batch>-<line>")` says no, which it also says on
    /// an EIO; the batch is then deleted and recovery retires the unpublished
    /// file as a leftover. `sluice enqueue` printed both ids and exited 0.
    @Test func publish_whenTheLookUpOfAPreparedTaskFileFailsOnce_publishesIt() throws {
        guard Self.canTrace else { return }
        let spool = try SpoolFixture("attack-publish-lookup")
        let sluice = ChildProcessRunner.product("sluice")
        let task = #"{"id":"unpublished","kind":"send_email","payload":{}}"#
        let dryRoot = spool.scratch.file("dry")
        for root in [dryRoot, spool.root] {
            _ = try SluiceRun(["enqueue", "emails", "--spool", root, "--json", #"{"id":"warm","kind":"send_email","payload":{}}"#], in: spool.scratch)
        }
        let dry = try Self.traced(sluice, ["enqueue", "emails", "--spool", dryRoot, "--json", task], call: "faccessat2",
                                  in: spool.scratch, label: "dry")
        // Phase 1 asks what tmp/x-… is with fstatat (is it left over, is it a plain
        // file?); the look-up with faccessat is phase 2's (is it still to publish?).
        let step = try #require(Self.index(in: dry.trace, of: "faccessat2", containing: "\"x-", occurrence: 1))
        let run = try Self.traced(sluice, ["enqueue", "emails", "--spool", spool.root, "--json", task], call: "faccessat2",
                                  inject: "error=EIO:when=\(step)", in: spool.scratch, label: "run")
        try #require(run.trace.split(separator: "\n").contains { $0.contains("\"x-") && $0.contains("INJECTED") })
        #expect(run.status == SluicePOSIX.ExitStatus.exited(0) && run.output.contains("unpublished"), "acknowledged: \(run.output) \(run.errors)")
        try spool.expectConsistent(queue: "emails", expected: ["warm", "unpublished"], "after one EIO on publish's look-up")
    }

    // MARK: B. lost acknowledged tasks: a transient error on recovery's look-up of a batch

    /// `SpoolQueue.removeScratch`: an x-file is retired when
    /// `!expander.isPending(batch)`, and `isPending` is two `exists` calls that
    /// answer "absent" on *any* faccessat2 error. One EIO on the look-up of
    /// `<batch>.prepared` and recovery moves a pending batch's prepared task
    /// files to spare/; the expansion that follows treats them as published and
    /// deletes the batch. (The same applies to `removeStaleOrigins`.)
    @Test func recovery_whenTheLookUpOfAPendingBatchFailsOnce_losesNoAcknowledgedTask() throws {
        guard Self.canTrace else { return }
        let spool = try SpoolFixture("attack-recovery-lookup")
        let outcomes = try spool.queue().enqueue([try request("a"), try request("b"), try request("c")])
        #expect(outcomes.allSatisfy { if case .accepted = $0 { true } else { false } }, "acknowledged")
        // An expansion that fails between its two phases (EIO on its first
        // publish): the batch is .prepared, its three task files in tmp/.
        var failing = SpoolOptions()
        failing.faults = SpoolFaults { call, path in call == "rename" && path.contains("/tmp/x-") ? EIO : nil }
        #expect(throws: SpoolError.self) { try spool.queue(options: failing).expandPendingBatches() }
        #expect(spool.files(.tmp).count == 3 && spool.files(.journal).contains { $0.hasSuffix(".prepared") })
        // A recovery in another process, whose second faccessat2 (the look-up
        // of <batch>.prepared for the first x-file) fails once with EIO.
        let stop = spool.scratch.file("stop")
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { _ = creat(stop, 0o600) }
        let run = try Self.traced(ChildProcessRunner.product("sluice-test-child"), ["spool-stress", "recover", spool.root, "emails", stop, "10"],
                                  call: "faccessat2", inject: "error=EIO:when=2", in: spool.scratch, label: "recover")
        try #require(run.trace.split(separator: "\n").contains { $0.contains(".prepared") && $0.contains("INJECTED") },
                     "the EIO hit the look-up of the .prepared batch: \(run.trace.prefix(2000))")
        try spool.expectConsistent(queue: "emails", expected: ["a", "b", "c"], "after one EIO on a recovery's look-up")
    }

    // MARK: C. one id accepted twice and run twice: a transient link error at commit

    /// `SpoolQueue.commit`: `(try? folders.journal.link(...)) ?? .done` counts a
    /// marker link that *failed* (EIO, ENOSPC, EDQUOT) as accepted, without a
    /// marker. A second enqueue of the same id then finds `ids/<key>` free and
    /// is accepted too (README: "an id enqueued again returns the existing
    /// task, whether it is still in a batch…"); if that copy finishes before
    /// the first batch expands, the first copy runs as well.
    @Test func commit_whenLinkingAMarkerFails_doesNotAcceptTheIDTwice() throws {
        let spool = try SpoolFixture("attack-commit-link")
        let links = Atomic<Int>(0)
        var options = SpoolOptions()
        options.faults = SpoolFaults { call, _ in
            call == "link" && links.add(1, ordering: .relaxed).newValue == 1 ? EIO : nil
        }
        // A commit whose marker cannot be linked is taken back: "nothing was accepted".
        let first = try? spool.queue(options: options).enqueue([try request("dup", to: "first@example.com")])
        let firstAccepted = first?.first.map { if case .accepted = $0 { true } else { false } } ?? false
        let second = try spool.queue().enqueue([try request("dup", to: "second@example.com")], expandingNow: true)
        let secondAccepted = second.first.map { if case .accepted = $0 { true } else { false } } ?? false
        #expect(!(firstAccepted && secondAccepted), "the id was accepted twice while its first copy was still journaled")
        // The live copy runs first, by a worker whose own expansion of the first
        // batch does not get through yet (a slow or failing expander: its
        // links fail), as when the first enqueuer is still expanding.
        var slow = SpoolOptions()
        slow.faults = SpoolFaults { call, _ in call == "link" ? EIO : nil }
        let worker = try spool.queue(options: slow)
        var runs: [String] = []
        for lease in try worker.claimAll() { runs.append(lease.task.payload["to"].map { "\($0)" } ?? "?"); try worker.complete(lease) }
        // Then whatever the first batch still holds.
        let rest = try spool.queue()
        try rest.expandPendingBatches()
        for lease in try rest.claimAll() { runs.append(lease.task.payload["to"].map { "\($0)" } ?? "?"); try rest.complete(lease) }
        #expect(runs.count == 1, "task \"dup\" ran \(runs.count) times: \(runs)")
    }

    // MARK: D. one unopenable file in ready/ stops every claim of the queue

    /// `Directory.read` treats every open error but ENOENT/ELOOP as an I/O
    /// error; `open(2)` of a socket (or a device without a driver) fails with
    /// ENXIO, so it is never quarantined: `take` renames it back to ready/ and
    /// throws, the index re-inserts it from inotify, and every later claim
    /// pops it first and throws again. Tasks behind it never run. (A file with
    /// a persistent EIO, a bad block, does the same.)
    @Test func socketInReady_isQuarantinedAndTheClaimGoesOn() throws {
        let spool = try SpoolFixture("attack-socket")
        let queue = try spool.queue()
        try queue.enqueueNow([try request("good")])
        #expect(mknod(spool.path(.ready, SpoolNames.ready(dueAt: 1, key: "sock")), S_IFSOCK | 0o600, 0) == 0)
        var claimed: [String] = []
        var failures: [String] = []
        for _ in 0..<5 {
            do {
                if let lease = try queue.claim() { claimed.append(lease.task.id.rawValue) }
            } catch {
                failures.append("\(error)")
            }
        }
        #expect(claimed == ["good"], "the ready task is claimed; claims failed \(failures.count) times: \(failures.first ?? "")")
        #expect(spool.files(.quarantine).contains { $0.hasSuffix("sock") }, "a socket is not a task file: quarantined")
    }

    // MARK: E. a non-empty directory in spare/ stops expansion for good, and recovery (so the fleet cannot start)

    /// `SpareFiles.place` renames the directory to `tmp/x-<batch>-0`;
    /// `overwriteFile` → `replace` cannot remove a non-empty directory and the
    /// `O_EXCL` create fails with EEXIST: the batch fails, and on every retry
    /// (`overwriteFile` again). `expandAll` stops at the first failing batch, so
    /// every later batch is stuck too; `recover()` throws, and `sluice worker`
    /// and the supervisor call it with `try` at start: they exit
    /// (`sluice worker: recover queue "emails": open(…/tmp/x-…-0) failed: File exists`).
    @Test func nonEmptyDirectoryInSpare_stopsNeitherExpansionNorRecovery() throws {
        let spool = try SpoolFixture("attack-spare-dir")
        let queue = try spool.queue()
        #expect(mkdir(spool.path(.spare, "planted"), 0o700) == 0)
        #expect(creat(spool.path(.spare, "planted") + "/inside", 0o600) >= 0)
        _ = try queue.enqueue([try request("b1")])
        _ = try queue.enqueue([try request("b2")])
        #expect(throws: Never.self, "recovery at start must not fail on one bad batch") { _ = try spool.queue().recover() }
        #expect(try queue.claimAll().map(\.task.id.rawValue).sorted() == ["b1", "b2"], "both acknowledged batches become claimable")
    }

    // MARK: F. retention trusts a wall clock stepped forward before the process started

    /// `RetentionClock` lives in one `SpoolQueue` value and learns the offset
    /// at `init`: a process started after a forward step (the supervisor after
    /// a restart, an unsupervised worker: both recover at start) trusts the
    /// step at once, purges finished ids early, and admits them again.
    @Test func retention_inAProcessStartedAfterAForwardStep_keepsFinishedTasksTheirFullPeriod() throws {
        let spool = try SpoolFixture("attack-retention")
        var options = SpoolOptions()
        options.doneRetention = 3600 * ManualWallClock.second
        let queue = try spool.queue(options: options)
        try queue.enqueueNow([try request("kept")])
        try queue.complete(try #require(try queue.claim()))
        // The wall clock steps 2 h forward; then the supervisor (re)starts.
        let clock = ManualWallClock(SystemWallClock().now() + 7200 * ManualWallClock.second)
        let restarted = try SpoolQueue(root: spool.root, name: queue.name, clock: clock, options: options, instants: ManualClock())
        #expect(try restarted.recover(includingOwnLeases: true).donePurged == 0, "1 s of retention is not 2 h")
        let again = try restarted.enqueue([try request("kept")]).first
        #expect(again.map { if case .existing = $0 { true } else { false } } == true, "a finished id within its retention is not admitted again")
    }

    // MARK: G. a replay that fails after claiming the dead task says "nothing was changed" and strands it in leased/

    /// `replay(key:)` renames `dead/<key>` into `leased/` first; if the rewrite
    /// then fails (ENOSPC creating `tmp/….task`), `perform` throws
    /// "replay task …: nothing was changed … retry", but the task is in
    /// `leased/<our pid>-…`: a retried `dead replay --id` answers "not dead",
    /// and the next recovery sends it to ready/ with its old attempt count.
    /// Without `--id`, `replayDead(nil)` drops the failure entirely when any
    /// other task was replayed.
    @Test func replay_whenTheRewriteFails_leavesTheTaskDeadAndSaysSo() throws {
        let spool = try SpoolFixture("attack-replay")
        let setup = try spool.queue()
        try setup.enqueueNow([try request("d1"), try request("d2")])
        for lease in try setup.claimAll() { try setup.deadLetter(lease, reason: "HTTP 400") }
        let creates = Atomic<Int>(0)
        var options = SpoolOptions()
        options.faults = SpoolFaults { call, path in
            call == "open" && path.hasSuffix(".task") && creates.add(1, ordering: .relaxed).newValue == 1 ? ENOSPC : nil
        }
        let queue = try spool.queue(options: options)
        do {
            _ = try queue.replayDead(TaskID(validating: "d1"))
            Issue.record("the replay succeeded although its rewrite failed")
        } catch {
            let stranded = spool.files(.leased)
            #expect(stranded.isEmpty && spool.files(.dead).contains("d1"),
                    "told \"\(error)\", but d1 is in leased/ \(stranded), not dead/ \(spool.files(.dead))")
        }
        // Without --id: of two dead tasks the first rewrite fails, the second succeeds.
        let other = try SpoolFixture("attack-replay-all")
        let setup2 = try other.queue()
        try setup2.enqueueNow([try request("e1"), try request("e2")])
        for lease in try setup2.claimAll() { try setup2.deadLetter(lease, reason: "HTTP 400") }
        creates.store(0, ordering: .relaxed)
        var reported = ""
        do { reported = "replayed \(try other.queue(options: options).replayDead(nil))" } catch { reported = "\(error)" }
        #expect(other.files(.leased).isEmpty, "no task is left in leased/ \(other.files(.leased)); the caller was told: \(reported)")
    }
}
