import Foundation
import Glibc
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceSpool

/// Review attack (final) on issue 13's result storage.
/// FAILS on main at 3708e03 (left failing on purpose): a JSON answer nested
/// as deep as the JSON parser accepts (64, what ResultCapture keeps as
/// `.json`) is settled into `done/` but the task file can no longer be read:
/// `task show` reports a problem instead of the finished task and its answer.
@Suite struct AttackFinalResultStorageTests {
    @Test(.disabled("known defect, open in issue 13: an answer nested to the parser limit makes its task record unreadable")) func aFinishedTask_whoseAnswerIsNestedToTheParsersLimit_readsBackWithItsAnswer() throws {
        let depth = JSONParser.maximumDepth
        let deep = try JSONParser.parse(Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8))
        let answer = TaskResult(status: 200, headers: ["content-type": "application/json"], body: .json(deep),
                                bodyBytes: 2 * depth, truncated: false, attempt: 1, receivedAt: 1_763_717_400_000_000_000)
        let spool = try SpoolFixture()
        var options = SpoolOptions()
        options.resultRetention = 3600 * ManualWallClock.second
        let queue = try spool.queue(options: options)
        try queue.enqueueNow([try request("deep")])
        try queue.settle(try #require(try queue.claim()), .complete, result: answer)
        let status = try queue.status(of: TaskID(validating: "deep"))
        #expect(status?.state == .done)
        #expect(status?.problem == nil, "\(String(describing: status?.problem))")
        #expect(status?.record?.result == answer)
    }

    /// FAILS on main at 3708e03 (left failing on purpose): a retention longer
    /// than the wall clock's time since 1970 (the config accepts "1000000h",
    /// ~114 years) makes the purge's cutoff `now &- retention` wrap to a huge
    /// instant, so the purge (recovery, and once a minute in `sluice run`)
    /// removes every finished task and its answer at once instead of never.
    @Test func aVeryLongRetention_keepsTheAnswer_insteadOfPurgingItAtOnce() throws {
        let retention = try #require(DurationText.nanoseconds("1000000h"))
        let spool = try SpoolFixture()
        var options = SpoolOptions()
        options.resultRetention = retention
        let queue = try SpoolQueue(root: spool.root, name: QueueName(validating: "emails"), options: options)
        try queue.enqueueNow([try request("kept")])
        let answer = TaskResult(status: 200, headers: [:], body: .text("ok"), bodyBytes: 2, truncated: false, attempt: 1,
                                receivedAt: 1_763_717_400_000_000_000)
        try queue.settle(try #require(try queue.claim()), .complete, result: answer)
        #expect(try queue.purgeFinished() == 0, "finished a moment ago, kept for a century")
        #expect(spool.files(.done) == ["kept"])
        #expect(try queue.status(of: TaskID(validating: "kept"))?.record?.result == answer)
    }
}
