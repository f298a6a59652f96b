import Glibc
import SluiceCore
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceSpool

/// A task's crash count, kept in its history: exactly the lines a recorded
/// crash writes, since the last replay; no text a provider wrote can pass
/// for one.
@Suite struct PoisonCountTests {
    @Test(arguments: [
        (["2026-01-01T00:00:00.000Z attempt 1 postponed to 2026-01-01T00:00:00.000Z, not spent: crashed its worker (signal 4)"], 1),
        (["t attempt 1 postponed to t, not spent: crashed its worker (signal 4)",
          "t attempt 1 postponed to t, not spent: crashed its worker (signal 11)"], 2),
        (["t attempt 1 postponed to t, not spent: crashed its worker (signal 4)", "t attempt 1 dead: crashed its worker (signal 4)",
          "t replayed from dead after attempt 1; attempts reset"], 0),
        // A provider's words inside a retry line are not a crash.
        (["t attempt 1 failed, retry at t: HTTP 500: x, not spent: crashed its worker (signal 4)",
          "t attempt 2 postponed to t, not spent: HTTP 429: crashed its worker (signal 4)"], 0),
    ])
    func crashCount(_ history: [String], _ expected: Int) {
        #expect(SpoolQueue.crashes(in: history) == expected)
    }

    @Test func recordCrash_postponesThenDeadLetters_theDeadProcessesLease() throws {
        let scratch = try ScratchDirectory(label: "poison")
        let name = try QueueName(validating: "q")
        let queue = try SpoolQueue(root: scratch.path, name: name)
        _ = try queue.enqueue([TaskRequest(id: TaskID(validating: "bad"), queue: name, kind: "k")], expandingNow: true)
        let gone = try ChildProcess.spawn(executable: "/bin/true", arguments: [])
        _ = try gone.waitForExit()
        for expected in [SpoolQueue.CrashVerdict.postponed(crashes: 1), .deadLettered(crashes: 2)] {
            let lease = try #require(try SpoolQueue(root: scratch.path, name: name, pid: gone.pid).claim())
            #expect(try queue.leases(heldBy: gone.pid).map(\.key) == ["bad"])
            let verdict = try queue.recordCrash(pid: gone.pid, dueAt: lease.dueAt, key: lease.key, reason: "crashed its worker (signal 4)", limit: 2)
            #expect(verdict == expected)
        }
        let dead = try #require(try queue.status(of: TaskID(validating: "bad")))
        #expect(dead.state == .dead && dead.record?.lastError == "crashed its worker (signal 4)" && dead.record?.attempt == 1)
        #expect(try queue.recordCrash(pid: gone.pid, dueAt: 1, key: "bad", reason: "x", limit: 2) == .notFound)
    }
}
