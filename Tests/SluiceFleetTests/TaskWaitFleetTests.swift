import Foundation
import Glibc
import SluiceJSON
import SluiceSpool
import SluicePOSIX
import SluiceTestSupport
import Testing

/// `sluice task wait` against a real fleet: it returns as soon as the task is
/// done (exit 0) or dead (exit 1), printing the result; 3 when the timeout
/// passes first; 4 for no such task.
@Suite(.serialized) struct TaskWaitFleetTests {
    @Test func wait_returnsTheResultOnceFinished_andItsExitSaysHowItEnded() throws {
        let upstream = try HostileUpstream { request in
            request.path == "/ok"
                ? .bytes(HostileUpstream.response(200, [("Content-Type", "application/json"), ("X-Request-Id", "req_ok")], body: Array(#"{"sid":"SM1"}"#.utf8)))
                : .bytes(HostileUpstream.response(422, [("Content-Type", "text/plain")], body: Array("no such number".utf8)))
        }
        defer { upstream.stop() }
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {}}"#)
        try fixture.configure(queues: """
            {"waited-api": {"provider": "http", "baseURL": "\(upstream.baseURL)", "rate": "50/s"}}
            """)
        let later = Timestamp.format(SystemWallClock().now() + 3600 * 1_000_000_000)
        try fixture.enqueue("waited-api", [
            #"{"id": "ok", "kind": "http", "payload": {"method": "POST", "path": "/ok", "body": {}}}"#,
            #"{"id": "bad", "kind": "http", "payload": {"method": "POST", "path": "/bad", "body": {}}}"#,
            #"{"id": "later", "kind": "http", "notBefore": "\#(later)", "payload": {"method": "GET", "path": "/ok"}}"#,
        ])
        // Waiting before the fleet runs: the answer arrives while it waits.
        let waiting = try SpawnedChild(fixture.sluice, ["task", "wait", "ok", "--timeout", "30s", "--json", "--config", fixture.configPath],
                                       in: fixture.files, label: "wait-ok")
        try fixture.startFleet()
        let okStatus = try waiting.wait()
        let (badStatus, badOut, _) = try fixture.cli(["task", "wait", "bad", "--timeout", "30s"])
        let started = MonotonicClock.now()
        let (laterStatus, laterOut, laterErr) = try fixture.cli(["task", "wait", "later", "--timeout", "1s"])
        let waited = Double(MonotonicClock.now() - started) / 1e9
        let (missingStatus, _, missingErr) = try fixture.cli(["task", "wait", "nobody", "--timeout", "1s"])
        #expect(try fixture.stopFleet().0 == .exited(0))

        #expect(okStatus == .exited(0), "\(waiting.errors)")
        guard case .object(let document)? = try? JSONParser.parse(Array(waiting.output.utf8)),
              case .object(let result)? = document["result"] else { Issue.record("no result: \(waiting.output)"); return }
        #expect(document["state"] == .string("done") && result["body"] == .object([("sid", .string("SM1"))]))
        #expect(badStatus == .exited(1) && badOut.contains("state      dead") && badOut.contains("no such number"), "\(badOut)")
        #expect(laterStatus == .exited(3) && laterOut.contains("state      ready") && laterErr.contains("still ready after 1s"), "\(laterOut) \(laterErr)")
        #expect(waited >= 1 && waited < 5, "gave up at the timeout (\(waited) s)")
        #expect(missingStatus == .exited(4) && missingErr.contains("not found"), "\(missingErr)")
    }
}
