import Glibc
import Testing
@testable import SluiceSupervisor

/// The supervisor's restart decisions, as events on fixed instants.
@Suite struct WorkerProcessTests {
    static let second: UInt64 = 1_000_000_000
    let policy = RestartPolicy()

    @Test func crash_restartsWithDoublingBackoff() {
        var worker = WorkerProcess(queue: "q", ordinal: 0, state: .running(pid: 42, since: 0))
        var delays: [UInt64] = []
        var now: UInt64 = Self.second
        for _ in 0..<4 {
            delays.append(worker.exited(at: now, policy: policy) ?? 0)
            worker.state = .running(pid: 43, since: now)
            now += Self.second
        }
        #expect(delays == [500, 1_000, 2_000, 4_000].map { $0 * 1_000_000 })
        #expect(worker.restarts == 4)
    }

    @Test func crashLoop_isGivenUpOn() {
        var worker = WorkerProcess(queue: "q", ordinal: 0, state: .running(pid: 42, since: 0))
        for index in 0..<5 {
            #expect(worker.exited(at: UInt64(index + 1) * Self.second, policy: policy) != nil)
            worker.state = .running(pid: 42, since: UInt64(index + 1) * Self.second)
        }
        #expect(worker.exited(at: 6 * Self.second, policy: policy) == nil)
        #expect(worker.state == .gaveUp)
    }

    @Test func aWorkerThatRanLongEnough_startsAfreshCount() {
        var worker = WorkerProcess(queue: "q", ordinal: 0, state: .running(pid: 42, since: 0))
        for index in 0..<5 {
            _ = worker.exited(at: UInt64(index + 1) * Self.second, policy: policy)
            worker.state = .running(pid: 42, since: UInt64(index + 1) * Self.second)
        }
        // Healthy for two minutes, then one crash: back to the first delay.
        worker.state = .running(pid: 42, since: 10 * Self.second)
        #expect(worker.exited(at: 130 * Self.second, policy: policy) == 500_000_000)
    }

    /// Found in review: a failed spawn left the worker stopped for good.
    @Test func failedSpawn_isRetriedWithBackoffLikeACrash() {
        var worker = WorkerProcess(queue: "q", ordinal: 0, state: .waiting(until: 0))
        #expect(worker.exited(at: Self.second, policy: policy) == 500_000_000)
        #expect(worker.state == .waiting(until: Self.second + 500_000_000))
    }

    @Test func backoff_isCappedAtTheMaximum() {
        #expect(policy.backoff(consecutiveCrashes: 30) == policy.maximumDelay)
    }

    @Test func sigkillFromOutside_isRestartedEveryTime_butOwnCrashesStillGiveUp() {
        var worker = WorkerProcess(queue: "q", ordinal: 0, state: .running(pid: 1, since: 0))
        for index in 0..<20 {
            #expect(worker.exited(at: UInt64(index + 1) * Self.second, policy: policy, status: .signaled(SIGKILL)) == 500_000_000)
            worker.state = .running(pid: 1, since: UInt64(index + 1) * Self.second)
        }
        for index in 0..<5 {
            #expect(worker.exited(at: UInt64(30 + index) * Self.second, policy: policy, status: .signaled(SIGILL)) != nil)
            worker.state = .running(pid: 1, since: UInt64(30 + index) * Self.second)
        }
        #expect(worker.exited(at: 36 * Self.second, policy: policy, status: .exited(1)) == nil, "the sixth own crash in a minute gives up")
    }

    /// A crash blamed on a task (poison) is the task's: restarted, never a crash loop.
    @Test func crashesBlamedOnATask_neverGiveUp_unblamedOnesStillDo() {
        var worker = WorkerProcess(queue: "q", ordinal: 0, state: .running(pid: 1, since: 0))
        for index in 0..<20 {
            #expect(worker.exited(at: UInt64(index + 1) * Self.second, policy: policy, status: .signaled(SIGILL), blamed: true) == 500_000_000)
            worker.state = .running(pid: 1, since: UInt64(index + 1) * Self.second)
        }
        for index in 0..<5 {
            #expect(worker.exited(at: UInt64(30 + index) * Self.second, policy: policy, status: .signaled(SIGILL)) != nil)
            worker.state = .running(pid: 1, since: UInt64(30 + index) * Self.second)
        }
        #expect(worker.exited(at: 36 * Self.second, policy: policy, status: .signaled(SIGSEGV)) == nil)
    }
}
