import Foundation
import Glibc
import SluiceCore
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceSpool

/// A finished task's answer is kept in its record, under the record's own
/// durability rules, for the result retention; and a crash at any step of
/// the settle that keeps it leaves the task whole: still to run, or finished
/// with its whole answer.
@Suite struct ResultStorageTests {
    let second = ManualWallClock.second

    static let answer = TaskResult(status: 200, headers: ["request-id": "req_1", "content-type": "application/json"],
                                   body: .json(.object([("id", .string("pi_1")), ("amount", .number("2000"))])),
                                   bodyBytes: 27, truncated: false, attempt: 1, receivedAt: 1_763_717_400_000_000_000)

    func options(results: UInt64, done: UInt64 = 0) -> SpoolOptions {
        var options = SpoolOptions()
        options.resultRetention = results
        options.doneRetention = done
        return options
    }

    @Test func complete_withResultsKept_storesTheAnswerInDone_andTheStatusShowsIt() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue(options: options(results: 3600 * second))
        try queue.enqueueNow([try request("paid")])
        try queue.settle(try #require(try queue.claim()), .complete, result: Self.answer)
        #expect(spool.files(.done) == ["paid"] && spool.files(.ids) == ["paid"], "kept, and the id stays taken")
        let status = try #require(try queue.status(of: TaskID(validating: "paid")))
        #expect(status.state == .done && status.record?.result == Self.answer)
        let document = status.jsonObject()
        #expect(document["state"] == .string("done"))
        guard case .object(let result)? = document["result"] else { Issue.record("no result in \(document)"); return }
        #expect(result["status"] == .number("200") && result["encoding"] == .string("json"))
        #expect(result["body"] == .object([("id", .string("pi_1")), ("amount", .number("2000"))]))
        let mode = try #require(try? FileManager.default.attributesOfItem(atPath: spool.path(.done, "paid"))[.posixPermissions] as? Int)
        #expect(mode == 0o600, "owner-only like every task file")
    }

    @Test func withoutResultRetention_noAnswerIsKept_andCompletionForgetsAsBefore() throws {
        let spool = try SpoolFixture()
        let forgetting = try spool.queue(options: options(results: 0))
        try forgetting.enqueueNow([try request("gone")])
        try forgetting.settle(try #require(try forgetting.claim()), .complete, result: Self.answer)
        #expect(spool.files(.done).isEmpty && spool.files(.ids).isEmpty)
        let keepingDone = try spool.queue("other", options: options(results: 0, done: 60 * second))
        try keepingDone.enqueueNow([try request("kept", queue: "other")])
        try keepingDone.settle(try #require(try keepingDone.claim()), .complete, result: Self.answer)
        let status = try keepingDone.status(of: TaskID(validating: "kept"))
        #expect(status?.state == .done && status?.record != nil && status?.record?.result == nil)
    }

    @Test func deadLetter_keepsTheLastAnswer_andReplayDropsIt() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue(options: options(results: 3600 * second))
        try queue.enqueueNow([try request("bad")])
        var refusal = Self.answer
        refusal.status = 400
        try queue.settle(try #require(try queue.claim()), .deadLetter(reason: "HTTP 400"), result: refusal)
        #expect(try queue.deadTasks().first?.record?.result == refusal)
        #expect(try queue.replayDead(TaskID(validating: "bad")).count == 1)
        let again = try #require(try queue.claim())
        #expect(again.task.result == nil && again.task.attempt == 1, "a replayed task has no answer until it finishes again")
    }

    @Test func aRetry_keepsNoAnswer() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue(options: options(results: 3600 * second))
        try queue.enqueueNow([try request("later")])
        try queue.settle(try #require(try queue.claim()), .retry(dueAt: spool.clock.now(), error: "HTTP 503"), result: Self.answer)
        #expect(try queue.claim()?.task.result == nil)
    }

    @Test func recovery_purgesResultsPastTheirRetention_andNotBefore() throws {
        let spool = try SpoolFixture()
        let kept = options(results: 60 * second)
        // The purge goes by the file's modification time, real time: real clocks, and purgers later on both.
        let queue = try SpoolQueue(root: spool.root, name: QueueName(validating: "emails"), options: kept)
        try queue.enqueueNow([try request("r")])
        try queue.settle(try #require(try queue.claim()), .complete, result: Self.answer)
        func purger(after seconds: UInt64) throws -> SpoolQueue {
            try SpoolQueue(root: spool.root, name: queue.name, clock: ManualWallClock(SystemWallClock().now() + seconds * second),
                           options: kept, instants: ManualClock(MonotonicClock.now() + seconds * second))
        }
        #expect(try purger(after: 50).recover().donePurged == 0)
        #expect(spool.files(.done) == ["r"])
        #expect(try purger(after: 61).recover().donePurged == 1)
        #expect(spool.files(.done).isEmpty && spool.files(.ids).isEmpty)
    }

    @Test func purgeFinished_alone_removesWhatIsPastRetention_andLeavesTheRest() throws {
        let spool = try SpoolFixture()
        let kept = options(results: 60 * second)
        let queue = try SpoolQueue(root: spool.root, name: QueueName(validating: "emails"), options: kept)
        try queue.enqueueNow([try request("old"), try request("waiting")])
        let lease = try #require(try queue.claim())
        let other = lease.task.id.rawValue == "old" ? "waiting" : "old"
        try queue.settle(lease, .complete, result: Self.answer)
        let purger = try SpoolQueue(root: spool.root, name: queue.name, clock: ManualWallClock(SystemWallClock().now() + 61 * second),
                                    options: kept, instants: ManualClock(MonotonicClock.now() + 61 * second))
        #expect(try purger.purgeFinished() == 1)
        #expect(spool.files(.done).isEmpty && spool.files(.ids) == [other] && spool.files(.ready).count == 1,
                "only the finished task went; the waiting one is untouched")
    }

    @Test func aRecordWithABrokenResult_isQuarantined_notHalfRead() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue(options: options(results: 3600 * second))
        try queue.enqueueNow([try request("x")])
        try queue.settle(try #require(try queue.claim()), .complete, result: Self.answer)
        let path = spool.path(.done, "x")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: #""encoding":"json""#, with: #""encoding":"base64""#)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let status = try queue.status(of: TaskID(validating: "x"))
        #expect(status?.record == nil && status?.problem?.contains("result.body: does not match its encoding \"base64\"") == true, "\(String(describing: status?.problem))")
    }
}

/// A worker SIGKILLed before each file-system call of claiming a task and
/// finishing it with a result kept (done, or dead with its last answer):
/// afterwards, once recovery ran, the task is either still to run (back in
/// `ready/`) or finished with its whole answer; never lost, never half
/// written, never finished without its answer.
@Suite(.serialized) struct ResultCrashAtEveryStepTests {
    @Test(arguments: ["done", "dead"])
    func finisherKilledAtEachStep_leavesTheTaskToRunOrFinishedWithItsWholeAnswer(_ ending: String) throws {
        let spool = try SpoolFixture("result-crash", inMemory: true)
        func finisher(queue: String, dieAt: Int) throws -> SpoolChild {
            _ = try spool.queue(queue).enqueueNow([try request("t1", queue: queue)])
            return try SpoolChild("spool-finish-die-at", [spool.root, queue, "\(dieAt)", "t1", ending],
                                  outputPath: spool.scratch.file("\(queue).out"))
        }
        let probe = try finisher(queue: "probe", dieAt: 1_000_000)
        #expect(probe.waitForExit(seconds: 30) == .exited(0), "\(probe.errors)")
        let steps = try #require(probe.lines.last.flatMap { $0.hasPrefix("steps ") ? Int($0.dropFirst(6)) : nil })
        #expect(steps >= 4, "claim and settle make \(steps) calls")
        var finished = 0, toRun = 0
        for dieAt in 1...steps + 1 {
            let name = "q\(dieAt)"
            let child = try finisher(queue: name, dieAt: dieAt)
            let status = child.waitForExit(seconds: 30)
            #expect(dieAt > steps ? status == .exited(0) : status == .signaled(SIGKILL), "\(name): \(child.errors)")
            var recovery = SpoolOptions()
            recovery.resultRetention = 3_600_000_000_000
            let queue = try spool.queue(name, options: recovery)
            _ = try queue.recover()
            #expect(spool.files(.quarantine, queue: name).isEmpty, "\(name): nothing half written")
            let found = try #require(try queue.status(of: TaskID(validating: "t1")), "\(name): the task is somewhere")
            switch found.state {
            case .ready:
                toRun += 1
                // A kill after the new content was swapped in but before the
                // rename: the lease held the finished record, returned to run again.
                if let result = found.record?.result { #expect(Self.isWhole(result), "\(name): \(result)") }
            case .done, .dead:
                finished += 1
                #expect(found.state == (ending == "done" ? .done : .dead), "\(name)")
                let result = try #require(found.record?.result, "\(name): finished without its answer")
                #expect(Self.isWhole(result), "\(name)")
            default:
                Issue.record("\(name): left \(found.state)")
            }
        }
        #expect(finished >= 1 && toRun >= steps - 3, "finished \(finished), to run \(toRun) of \(steps + 1)")
    }

    static func isWhole(_ result: TaskResult) -> Bool {
        result.status == 200 && result.headers == ["request-id": "req_crash"]
            && result.body == .text(String(repeating: "answer ", count: 4096)) && result.bodyBytes == 7 * 4096
    }
}
