import Glibc
import Synchronization
import Testing
@testable import SluicePOSIX

@Suite struct EventLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    @Test func lines_areLogfmtWithQuotingWhereNeeded() {
        let captured = Lines()
        let log = EventLog(component: "worker", context: [("queue", "stripe-api")], sink: { captured.append($0) })
        log.with([("task", "t1")]).warn("task.dead", ("reason", "HTTP 400: bad \"amount\""), ("empty", ""))
        let line = captured.lines.withLock { $0[0] }
        #expect(line.hasPrefix("ts=") && line.contains(" level=warn component=worker queue=stripe-api task=t1 event=task.dead "))
        #expect(line.hasSuffix(#"reason="HTTP 400: bad \"amount\"" empty="""#))
    }

    @Test func lines_readBackAsTheyWereWritten() throws {
        let captured = Lines()
        EventLog(component: "worker", sink: { captured.append($0) }).warn("task.dead", ("reason", "HTTP 400: bad \"amount\" = 1"))
        let event = try #require(LoggedEvent(Substring(captured.lines.withLock { $0[0] })))
        #expect(event.name == "task.dead" && event.fields["component"] == "worker")
        #expect(event.fields["reason"] == "HTTP 400: bad \"amount\" = 1")
        let now = Double(time(nil))
        #expect(abs(event.time - now) < 5, "the timestamp reads back as now")
    }

    @Test(arguments: [("plain", "plain"), ("a b", "\"a b\""), ("k=v", "\"k=v\""), ("line\nbreak", "\"line\\nbreak\"")])
    func quoting(_ value: String, _ expected: String) {
        #expect(EventLog.quoted(value) == expected)
    }
}
