import Foundation
import Glibc
import SluiceCore
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceSpool

/// Things in the spool that the spool did not put there: it never follows,
/// blocks on or trusts them, and says how to fix what it refuses.
@Suite struct SpoolForeignFilesTests {
    @Test func symlinkPlantedInSpare_isReplacedNotWrittenThrough() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        let target = spool.scratch.file("victim")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: target))
        #expect(symlink(target, spool.path(.spare, "planted")) == 0)
        try queue.enqueueNow([try request("s1")])
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious", "the symlink's target is untouched")
        #expect(try queue.claim()?.task.id.rawValue == "s1", "the task was written to a plain file instead")
    }

    @Test func fifoInReady_isQuarantinedWithoutBlockingTheClaimOrTheLookUp() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        try queue.enqueueNow([try request("good")])
        let fifo = SpoolNames.ready(dueAt: 1, key: "fifo")
        #expect(mkfifo(spool.path(.ready, fifo), 0o600) == 0)
        #expect(try queue.status(of: TaskID(validating: "fifo"))?.problem?.contains("not a plain file") == true, "task show answers")
        #expect(try queue.claimAll().map(\.task.id.rawValue) == ["good"], "the claim goes on to the next task")
        #expect(spool.files(.quarantine).contains { $0.hasSuffix("fifo") && !$0.hasSuffix(".reason") })
    }

    @Test func symlinkInReady_isQuarantinedNotFollowed() throws {
        let spool = try SpoolFixture()
        let queue = try spool.queue()
        let elsewhere = spool.scratch.file("elsewhere.json")
        try Data(#"{"id":"link","queue":"emails","kind":"send_email","payload":{},"attempt":1,"enqueuedAt":"2025-01-01T00:00:00Z","dueAt":"2025-01-01T00:00:00Z"}"#.utf8)
            .write(to: URL(fileURLWithPath: elsewhere))
        #expect(symlink(elsewhere, spool.path(.ready, SpoolNames.ready(dueAt: 1, key: "link"))) == 0)
        #expect(try queue.claim() == nil, "a symlink is never read as a task")
        #expect(spool.files(.quarantine).contains { $0.hasSuffix("link.reason") })
    }

    @Test(arguments: ["queue", "folder"])
    func directoryOpenToOthers_isRefusedNamingTheFix(_ which: String) throws {
        let spool = try SpoolFixture()
        _ = try spool.queue()
        let path = which == "queue" ? "\(spool.root)/emails" : "\(spool.root)/emails/ready"
        #expect(chmod(path, 0o777) == 0)
        do {
            _ = try spool.queue()
            Issue.record("opened a queue with a 0777 directory")
        } catch {
            #expect("\(error)".contains("mode 0777") && "\(error)".contains("chmod 700 \(path)"), "\(error)")
        }
    }

    @Test func symlinkedQueueDirectory_isRefusedNamingTheFix() throws {
        let spool = try SpoolFixture()
        let real = spool.scratch.file("real")
        mkdir(real, 0o700)
        mkdir(spool.root, 0o700)
        #expect(symlink(real, "\(spool.root)/emails") == 0)
        do {
            _ = try spool.queue()
            Issue.record("opened a queue through a symlink")
        } catch {
            #expect("\(error)".contains("not a directory of its own") && "\(error)".contains("point the spool at the real directory"), "\(error)")
        }
    }
}
