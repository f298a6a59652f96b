import Foundation
import Glibc
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceSpool
import SluiceCore

/// `sluice` spool commands as a black box: spawn the built binary, read exit codes and output.
@Suite struct SpoolCLITests {
    let spool: SpoolFixture
    init() throws { spool = try SpoolFixture("cli") }

    func sluice(_ arguments: String..., input: String? = nil) throws -> SluiceRun {
        try SluiceRun(arguments + ["--spool", spool.root], input: input, in: spool.scratch)
    }

    /// The queue as the binary sees it: real clock, this process's pid.
    func queue(_ name: String = "emails") throws -> SpoolQueue { try SpoolQueue(root: spool.root, name: QueueName(validating: name)) }

    @Test func enqueueJSON_printsTheIDAndTheTaskIsReady() throws {
        let run = try sluice("enqueue", "emails", "--json", #"{"id":"order-42","kind":"send_email","payload":{"to":"ada@example.com"}}"#)
        #expect(run.status == .exited(0), "\(run.errors)")
        #expect(run.lines == ["order-42"])
        #expect(spool.files(.ready).count == 1 && spool.files(.journal).isEmpty, "expanded at once")
        #expect(try queue().claim()?.task.payload["to"] == .string("ada@example.com"))
    }

    @Test func enqueueNDJSONFromStdin_namesTheBadLineAcceptsTheRestAndExits1() throws {
        let input = """
            {"id":"a","kind":"send_email","payload":{}}
            {"id":"b","kind":"send_email"}

            {"id":"c","kind":"send_email","payload":{},"colour":"red"}
            {"id":"d","kind":"send_email","payload":{}}
            """
        let run = try sluice("enqueue", "emails", input: input)
        #expect(run.status == .exited(1))
        #expect(run.lines == ["a", "d"])
        #expect(run.errors.contains("line 2: payload: is missing"))
        #expect(run.errors.contains("line 4: colour: is not a task field"))
        #expect(spool.files(.ready).count == 2, "nothing written for the refused lines")
        #expect(Set(spool.files(.ids)) == ["a", "d"])
    }

    @Test func enqueueFile_sameIDAgain_printsItAndKeepsTheExistingTask() throws {
        let file = spool.scratch.file("tasks.ndjson")
        try Data(#"{"id":"x1","kind":"http","payload":{"n":1}}"#.utf8 + [0x0A]).write(to: URL(fileURLWithPath: file))
        #expect(try sluice("enqueue", "emails", "-f", file).status == .exited(0))
        try Data(#"{"id":"x1","kind":"http","payload":{"n":2}}"#.utf8).write(to: URL(fileURLWithPath: file))
        let again = try sluice("enqueue", "emails", "-f", file)
        #expect(again.status == .exited(0))
        #expect(again.lines == ["x1"])
        #expect(again.errors.contains(#"id "x1" is already in queue "emails" (ready); kept the existing task"#))
        #expect(try queue().claimAll().map(\.task.payload["n"]) == [.number("1")])
    }

    @Test func enqueue_oversizedOrInvalidTask_isRefusedAndNothingIsWritten() throws {
        let big = #"{"kind":"http","payload":{"b":""# + String(repeating: "x", count: 1 << 20) + #""}}"#
        let run = try sluice("enqueue", "emails", input: big + "\n")
        #expect(run.status == .exited(1))
        #expect(run.errors.contains("line 1: task: is over 1048576 bytes"))
        let bad = try sluice("enqueue", "emails", "--json", #"{"kind":"http","payload":{},"id":"has space"}"#)
        #expect(bad.status == .exited(1))
        #expect(bad.errors.contains(#"id: "has space" is not a valid task id"#) && bad.errors.contains("nothing was written"))
        for folder in [SpoolFolder.ready, .journal, .tmp, .ids] { #expect(spool.files(folder).isEmpty) }
    }

    @Test func describeJSON_hasTheCountsAndTheOldestDueAge() throws {
        let queue = try queue()
        try queue.enqueueNow(["1", "2", "3", "4"].map { try request($0) })
        let leases = try queue.claimAll()
        try queue.retry(leases[0], at: SystemWallClock().now() + 3_600_000_000_000, error: "HTTP 429")
        try queue.deadLetter(leases[1], reason: "HTTP 400")
        try queue.release(leases[2])
        let run = try sluice("queue", "describe", "emails", "--json")
        #expect(run.status == .exited(0))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        #expect(object["ready_due"] as? Int == 1)
        #expect(object["ready_waiting"] as? Int == 1)
        #expect(object["leased"] as? Int == 1)
        #expect(object["dead"] as? Int == 1)
        #expect((object["oldest_due_age_seconds"] as? Double ?? -1) >= 0)
        let text = try sluice("queue", "describe", "emails")
        #expect(text.output.contains("ready, due now   1") && text.output.contains("dead             1"))
        let list = try sluice("queue", "list")
        #expect(list.lines.first?.hasPrefix("QUEUE") == true && list.lines.last?.hasPrefix("emails") == true)
    }

    @Test func taskShowAndReset_findTheTaskAndMakeItDue() throws {
        let queue = try queue()
        try queue.enqueueNow([try request("slow")])
        try queue.retry(try #require(try queue.claim()), at: SystemWallClock().now() + 600_000_000_000, error: "HTTP 503 Service Unavailable")
        let show = try sluice("task", "show", "slow")
        #expect(show.status == .exited(0))
        #expect(show.output.contains("ready, due in 9m") && show.output.contains("attempt    2") && show.output.contains("HTTP 503"))
        let json = try sluice("task", "show", "slow", "--json")
        #expect(json.output.contains(#""state":"ready""#) && json.output.contains(#""attempt":2"#))
        let reset = try sluice("task", "reset", "slow")
        #expect(reset.status == .exited(0))
        #expect(reset.output.contains("is due now (it was due in 9m"))
        #expect(try queue.claim()?.task.attempt == 2, "due now, attempt unchanged")
        #expect(try sluice("task", "show", "missing").status == .exited(1))
    }

    @Test func queueReset_makesWaitingRetriesDueAndPrintsTheirIDs() throws {
        let queue = try queue()
        try queue.enqueueNow(["r1", "r2", "fresh"].map { try request($0) })
        for lease in try queue.claimAll() where lease.task.id.rawValue != "fresh" {
            try queue.retry(lease, at: SystemWallClock().now() + 600_000_000_000, error: "HTTP 429")
        }
        let run = try sluice("queue", "reset", "emails")
        #expect(run.status == .exited(0))
        #expect(Set(run.lines) == ["r1", "r2"])
        #expect(run.errors.contains("reset 2 waiting retries in queue emails"))
        #expect(try queue.counts().readyDue == 2)
    }

    @Test func deadListAndReplay_showTheReasonAndBringTasksBack() throws {
        let queue = try queue()
        try queue.enqueueNow(["d1", "d2"].map { try request($0) })
        for lease in try queue.claimAll() { try queue.deadLetter(lease, reason: "HTTP 400: invalid \(lease.task.id)") }
        let list = try sluice("dead", "list", "emails")
        #expect(list.status == .exited(0))
        #expect(list.lines.count == 3 && list.output.contains("HTTP 400: invalid d1"))
        let one = try sluice("dead", "replay", "emails", "--id", "d2")
        #expect(one.lines == ["d2"])
        #expect(try sluice("dead", "replay", "emails", "--id", "d2").status == .exited(1), "no longer dead")
        let rest = try sluice("dead", "replay", "emails")
        #expect(rest.lines == ["d1"])
        #expect(try sluice("dead", "list", "emails").output == "no dead tasks in queue emails\n")
        #expect(try queue.claimAll().map(\.task.attempt) == [1, 1])
    }

    @Test func config_setsTheRootAndRefusesUnknownQueues() throws {
        let config = spool.scratch.file("sluice.json")
        let root = spool.scratch.file("configured")
        try Data(#"{"spool":"\#(root)","queues":{"emails":{"provider":"sendgrid","rate":"10/s"},"payments":{"provider":"stripe","rate":"10/s"}}}"#.utf8).write(to: URL(fileURLWithPath: config))
        let unknown = try SluiceRun(["enqueue", "sms", "--config", config, "--json", #"{"kind":"send_sms","payload":{}}"#], in: spool.scratch)
        #expect(unknown.status == .exited(2))
        #expect(unknown.errors.contains(#"queue: "sms" is not defined in \#(config) (its queues: emails, payments)"#))
        let known = try SluiceRun(["enqueue", "payments", "--config", config, "--json", #"{"kind":"create_payment","payload":{"amount":1,"currency":"usd"}}"#], in: spool.scratch)
        #expect(known.status == .exited(0), "\(known.errors)")
        #expect(FileManager.default.fileExists(atPath: "\(root)/payments/ready"))
        let list = try SluiceRun(["queue", "list", "--config", config], in: spool.scratch)
        #expect(list.lines.map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["QUEUE", "emails", "payments"])
        let both = try SluiceRun(["queue", "list", "--config", config, "--spool", root], in: spool.scratch)
        #expect(both.status == .exited(2))
        try Data(#"{"queues":{"Bad_Name":{"provider":"stripe","rate":"1/s"}}}"#.utf8).write(to: URL(fileURLWithPath: config))
        let bad = try SluiceRun(["queue", "list", "--config", config], in: spool.scratch)
        #expect(bad.status == .exited(2) && bad.errors.contains("queues.Bad_Name: queue: \"Bad_Name\" is not a queue name"))
    }

    @Test func spoolFlag_acceptsAnyValidQueueNameAndRefusesInvalidOnes() throws {
        #expect(try sluice("enqueue", "any-queue-7", "--json", #"{"kind":"http","payload":{}}"#).status == .exited(0))
        let bad = try sluice("enqueue", "Any_Queue", "--json", #"{"kind":"http","payload":{}}"#)
        #expect(bad.status == .exited(2) && bad.errors.contains(#"queue: "Any_Queue" is not a queue name"#))
        #expect(try sluice("queue", "describe", "--json").status == .exited(2), "missing <queue>")
    }
}
