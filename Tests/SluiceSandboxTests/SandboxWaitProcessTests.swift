import Glibc
import SluiceHTTP
import SluicePOSIX
import SluiceProviders
import SluiceTestSupport
import Testing

/// `sluice sandbox` as a black box over 127.0.0.1: the precise wait it sends
/// on a 429, read as a worker reads it, and the `sharedBudget` fault started,
/// felt and stopped at run time. Judged from what each answer says and from
/// instants the test records, never from a sleep being long enough.
@Suite struct SandboxWaitProcessTests {
    static let chat = Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5}"#.utf8)
    static let chatHeaders = [("Authorization", "Bearer sk-x"), ("Content-Type", "application/json")]
    static let paymentHeaders = [("Authorization", "Bearer sk_test_1"), ("Content-Type", "application/x-www-form-urlencoded")]

    /// Starts the sandbox with `configuration` written to a file in `scratch`.
    static func start(_ configuration: String, in scratch: ScratchDirectory) throws -> (SpawnedChild, UInt16?) {
        let path = scratch.file("sandbox.json")
        let file = fopen(path, "w")
        fputs(configuration, file)
        fclose(file)
        return try SandboxCommandTests.start(["--config", path], in: scratch)
    }

    static func payment(_ port: UInt16) throws -> Int {
        try TestHTTPConnection.request(port: port, "POST", "/v1/payment_intents", headers: paymentHeaders,
                                       body: Array("amount=100&currency=usd".utf8))?.status ?? 0
    }

    @Test func openai429_overHTTP_carriesRetryAfterMs_whichAWorkerReadsAsTheWait() async throws {
        let refused = try await offPool { () throws -> TestHTTPResponse? in
            let scratch = try ScratchDirectory(label: "sandbox-wait")
            let (child, port) = try Self.start(#"{"limits": {"openai.requests": "2/s"}}"#, in: scratch)
            defer { child.kill() }
            guard let port else { return nil }
            // Two fit in any second; whatever the machine's pace, one of twenty in a row is refused.
            for _ in 0..<20 {
                let answer = try TestHTTPConnection.request(port: port, "POST", "/v1/chat/completions", headers: Self.chatHeaders, body: Self.chat)
                if answer?.status == 429 { return answer }
            }
            return nil
        }
        let answer = try #require(refused)
        let milliseconds = try #require(answer.header("retry-after-ms").flatMap { UInt64($0) })
        #expect((1...1_000).contains(milliseconds))
        #expect(answer.header("Retry-After") == "1")
        var headers: [String: String] = [:]
        for (name, value) in answer.headers { headers[name.lowercased()] = value }
        let wait = ProviderWait.read(ProviderResponse(status: 429, headers: headers, body: answer.body), wallClockNow: 0)
        #expect(wait == ProviderWait(nanoseconds: milliseconds * 1_000_000, header: "retry-after-ms"))
    }

    @Test func sharedBudget_setAtRunTime_refusesTheQueue_andTheLimitComesBackAfterUntil() async throws {
        let (whileShared, sharedInTime, afterwards, stats) = try await offPool { () throws -> ([Int], Bool, [Int], TestHTTPResponse?) in
            let scratch = try ScratchDirectory(label: "sandbox-shared")
            let (child, port) = try Self.start(#"{"limits": {"stripe.requests": "10/s"}}"#, in: scratch)
            defer { child.kill() }
            guard let port else { return ([], false, [], nil) }
            let plan = Array(#"{"sharedBudget": {"endpoint": "stripe.payment_intents", "share": 1, "until": "3s"}}"#.utf8)
            let beforeSet = MonotonicClock.now()
            guard try TestHTTPConnection.request(port: port, "POST", "/__sandbox/faults", body: plan)?.status == 200 else { return ([], false, [], nil) }
            let afterSet = MonotonicClock.now()
            // After one window the other client holds all ten of every second, until 3 s after it was set.
            MonotonicClock.sleep(until: afterSet + 1_200_000_000)
            let whileShared = try (0..<5).map { _ in try Self.payment(port) }
            let sharedInTime = MonotonicClock.now() < beforeSet + 3_000_000_000
            // It stops at most 3 s after the POST returned; one window later nothing of it is left.
            MonotonicClock.sleep(until: afterSet + 4_100_000_000)
            let afterwards = try (0..<5).map { _ in try Self.payment(port) }
            return (whileShared, sharedInTime, afterwards, try TestHTTPConnection.request(port: port, "GET", "/__sandbox/stats"))
        }
        if sharedInTime {
            #expect(whileShared == [429, 429, 429, 429, 429])
        } else {
            #expect(whileShared.count == 5) // the machine was too slow to judge the shared phase; recovery is still judged
        }
        #expect(afterwards == [200, 200, 200, 200, 200])
        let text = String(decoding: stats?.body ?? [], as: UTF8.self)
        #expect(text.contains(#""sharedBudget":{"endpoint":"stripe.payment_intents","share":1.0,"active":false"#), "\(text)")
    }
}
