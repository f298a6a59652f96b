import SluiceCore
import SluiceTestSupport
import Testing
@testable import SluiceLimiter

/// The task statistics share the counter shards with the limiter's counters.
@Suite struct TaskStatisticsTests {
    @Test func statistics_fitInTheShard_afterTheLimiterCounters() {
        #expect(QueueCounters.Field.histogram + QueueCounters.waitBucketBounds.count + 1 <= TaskStatistics.Word.enqueued)
        #expect(TaskStatistics.Word.end * 8 <= SegmentLayout.Block.shardSize)
    }

    @Test func recordedEvents_addUpAcrossProcesses() throws {
        let scratch = ScratchFleet("stats")
        let coordinator = try Coordinator.create(fleet: FleetName(validating: scratch.name), layout: .default)
        let queue = try coordinator.register(queue: QueueName(validating: "q-api"), limits: QueueLimits(rate: .unlimited))
        queue.taskStatistics.enqueued(3)
        queue.taskStatistics.requestStarted(scheduleToStart: 2_000_000)
        queue.taskStatistics.attemptConcluded(.rateLimited, status: 429, duration: 40_000_000)
        queue.taskStatistics.completed(success: false)
        let totals = queue.taskStatisticsTotals
        #expect(totals.enqueued == 3 && totals.requestsStarted == 1 && totals.completedDead == 1 && totals.rateLimited == 1)
        #expect(totals.responses[StatusCodeBucket.index(of: 429)] == 1)
        #expect(totals.scheduleToStart.counts[1] == 1 && totals.requestDuration.counts[4] == 1)
        #expect(totals.requestDuration.sumNanoseconds == 40_000_000)
    }
}
