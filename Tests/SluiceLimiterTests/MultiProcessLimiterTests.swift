import Foundation
import Glibc
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceLimiter
import SluiceCore

/// The limiter's promises, proven with real processes sharing one segment.
@Suite(.serialized) struct MultiProcessLimiterTests {
    let scratch = ScratchFleet("m")
    let files: ScratchDirectory
    static let second: UInt64 = 1_000_000_000

    init() throws { files = try ScratchDirectory(label: "limiter") }

    var child: String { ChildProcessRunner.product("sluice-test-child") }

    func coordinator() throws -> Coordinator { try Coordinator.create(fleet: FleetName(validating: scratch.name)) }

    struct PacedCase: Sendable, CustomTestStringConvertible {
        let processes: Int, rate: String, burst: UInt64, seconds: Double
        var testDescription: String { "\(processes) processes at \(rate) burst \(burst)" }
    }

    /// The `sluice` binary paces N processes; this test re-checks every window
    /// itself from the raw granted instants rather than trusting the bench's
    /// sums, and checks each process really waited for its instant.
    @Test(arguments: [
        PacedCase(processes: 8, rate: "40/s", burst: 1, seconds: 3),
        PacedCase(processes: 6, rate: "20/s", burst: 4, seconds: 3),
        PacedCase(processes: 4, rate: "1.5/s", burst: 1, seconds: 4),
    ])
    func pacedProcesses_neverExceedRateTimesWindowPlusBurst(_ scenario: PacedCase) throws {
        let startsFile = files.file("starts-\(scenario.processes)")
        let bench = try SpawnedChild(ChildProcessRunner.product("sluice"), [
            "bench", "limiter", "--paced", "--processes", "\(scenario.processes)", "--rate", scenario.rate,
            "--burst", "\(scenario.burst)", "--seconds", "\(scenario.seconds)", "--starts-file", startsFile, "--json",
        ], in: files, label: "bench-\(scenario.processes)")
        #expect(try bench.wait() == .exited(0))
        let pairs = (readTextFile(startsFile) ?? "").split(separator: "\n").map { $0.split(separator: " ").compactMap { UInt64($0) } }
        #expect(pairs.allSatisfy { $0.count == 2 && $0[1] >= $0[0] }, "no process started before its instant")
        let starts = pairs.compactMap(\.first)
        let rate = try Rate(parsing: scenario.rate)
        let interval = rate.interval
        // Saturation: the run granted at least 99% of rate × duration. Counted,
        // not divided by the span of real wake-ups, so a late wake-up under
        // load (the OS's doing, not the limiter's) cannot fail it.
        let expected = scenario.seconds * 1e9 / Double(interval)
        #expect(Double(starts.count) >= 0.99 * expected, "\(starts.count) starts, expected about \(expected)")
        for width in [Self.second, Self.second / 10, Self.second * 2] {
            let allowed = rate.allowedStarts(inWindow: width, burst: scenario.burst)
            var first = 0
            for last in starts.indices {
                while starts[last] - starts[first] > width { first += 1 }
                #expect(last - first + 1 <= allowed, "window of \(width) ns ending at start \(last)")
            }
        }
    }

    @Test func rateChangedByOneProcess_isObeyedByAnotherOnItsNextCall() throws {
        let queue = try coordinator().register(queue: QueueName(validating: "q"), limits: QueueLimits(rate: .unlimited))
        for _ in 0..<3 { guard case .granted = queue.tryAcquire() else { Issue.record("unlimited queue refused"); return } }
        let setter = try SpawnedChild(child, ["set-rate", scratch.name, "q", "1/min", "1"], in: files, label: "setter")
        #expect(try setter.wait() == .exited(0))
        // This process's very next calls obey the other process's change.
        guard case .granted = queue.tryAcquire() else { Issue.record("first call after the change should start"); return }
        guard case .denied(let retryAfter) = queue.tryAcquire() else { Issue.record("second call should wait a minute"); return }
        #expect(retryAfter > 59 * Self.second)
        // And the other way round: we pause, a fresh process sees it at once.
        try queue.setPaused(true)
        let probe = try SpawnedChild(child, ["probe", scratch.name, "q"], in: files, label: "probe")
        #expect(try probe.wait() == .exited(0))
        #expect(probe.output == "paused\n")
    }

    @Test func childKilledWhileHoldingSlots_hasThemBackAfterReclaim() throws {
        let queue = try coordinator().register(queue: QueueName(validating: "q"), limits: QueueLimits(rate: .unlimited, maxConcurrent: 4))
        let holder = try SpawnedChild(child, ["hold-slots", scratch.name, "q", "3"], in: files, label: "holder")
        #expect(holder.waitForOutput(containing: "held 3"))
        let ours = try #require(queue.takeSlot())
        #expect(queue.takeSlot() == nil, "4 of 4 held")
        #expect(holder.kill() == .signaled(SIGKILL))
        #expect(queue.slotsInUse == 4, "a dead holder's slots stay taken until reclaimed")
        #expect(queue.coordinator.reclaim(deadPID: holder.pid) == 3)
        #expect(queue.slotsInUse == 1 && queue.slotsHeld(by: getpid()) == 1)
        #expect(queue.release(ours))
        #expect(queue.takeSlot() != nil)
    }

    /// Found in review: slots of a process that died with no supervisor
    /// watching stayed taken for ever. A liveness scan frees them.
    @Test func slotsOfAnUnwatchedDeadProcess_areFreedByTheLivenessScan() throws {
        let queue = try coordinator().register(queue: QueueName(validating: "q"), limits: QueueLimits(rate: .unlimited, maxConcurrent: 4))
        let holder = try SpawnedChild(child, ["hold-slots", scratch.name, "q", "4"], in: files, label: "orphan")
        #expect(holder.waitForOutput(containing: "held 4"))
        let ours = queue.coordinator.reclaimDeadOwners()
        #expect(ours == 0 && queue.slotsInUse == 4, "a live holder keeps its slots")
        holder.kill()
        #expect(queue.coordinator.reclaimDeadOwners() == 4)
        #expect(queue.slotsInUse == 0)
    }

    /// Four processes create the same 64 new keys at the same instant. A key
    /// allowed once a minute must be granted exactly once in all: two cells
    /// for one key would grant it twice.
    @Test func processesRacingToCreateTheSameKeys_grantEachKeyOnce() throws {
        let queue = try coordinator().register(queue: QueueName(validating: "q"), limits: QueueLimits(
            rate: .unlimited, perKey: GCRA.Limit(rate: try Rate(parsing: "1/min"), burst: 1)))
        let keys = (0..<64).map { "+1555000\($0)" }
        let go = MonotonicClock.now() + 400_000_000
        let racers = try (0..<4).map { index in
            try SpawnedChild(child, ["claim-keys", scratch.name, "q", "\(go)"] + keys, in: files, label: "racer-\(index)")
        }
        for racer in racers { #expect(try racer.wait() == .exited(0)) }
        var grants: [String: Int] = [:]
        for racer in racers {
            for line in racer.output.split(separator: "\n") where line.hasSuffix(" granted") {
                grants[String(line.split(separator: " ")[0]), default: 0] += 1
            }
        }
        #expect(grants.count == 64, "every key was granted")
        #expect(grants.values.allSatisfy { $0 == 1 }, "no key granted twice: \(grants.filter { $0.value > 1 })")
        let cells = queue.keyedCells
        for key in keys {
            let hash = KeyedCells.hash(key)
            let entries = (0..<queue.coordinator.layout.keyedCapacity).filter { UInt64(cells.entry($0).pointee.load(ordering: .relaxed).first) == hash }
            #expect(entries.count == 1, "\(key) has one cell")
        }
    }
}
