import Foundation
import SluiceHTTP
import SluiceProviders
import SluiceSandbox
import Testing

/// The fine figures the sandbox sends where the real provider does, exactly
/// when its sliding window frees, and that Sluice reads them as meant.
@Suite struct SandboxPreciseWaitTests {
    /// What a worker makes of `response` (`ProviderWait`, as `StatusRules` reads it).
    func wait(_ response: HTTPResponse) -> ProviderWait? {
        var headers: [String: String] = [:]
        for (name, value) in response.headers.fields where headers[name.lowercased()] == nil { headers[name.lowercased()] = value }
        return ProviderWait.read(ProviderResponse(status: response.status.code, headers: headers, body: response.body), wallClockNow: 1_700_000_000)
    }

    @Test func openai_429_sendsRetryAfterMs_exactToTheMillisecondRoundedUp() async throws {
        let sandbox = try TestSandbox(json: #"{"limits": {"openai.requests": "2/s"}}"#)
        #expect(await sandbox.send(ProviderRequest.chat()).status.code == 200)
        sandbox.advance(milliseconds: 100)
        #expect(await sandbox.send(ProviderRequest.chat()).status.code == 200)
        sandbox.clock.advance(by: 149_600_000) // 249.6 ms after the first: it leaves the window in 750.4 ms
        let refused = await sandbox.send(ProviderRequest.chat())
        #expect(refused.status.code == 429)
        #expect(refused.headers["retry-after-ms"] == "751")
        #expect(refused.headers["Retry-After"] == "1")
        #expect(refused.headers["x-ratelimit-remaining-requests"] == "0")
        #expect(refused.headers["x-ratelimit-reset-requests"] == "751ms")
        #expect((value(json(refused), "error", "message") as? String)?.hasSuffix("Please try again in 751ms.") == true)
        #expect(wait(refused) == ProviderWait(nanoseconds: 751_000_000, header: "retry-after-ms"))
        // Waiting exactly that long is enough; a millisecond less is not.
        sandbox.advance(milliseconds: 750)
        #expect(await sandbox.send(ProviderRequest.chat()).status.code == 429)
        sandbox.advance(milliseconds: 1)
        #expect(await sandbox.send(ProviderRequest.chat()).status.code == 200)
    }

    @Test func openai_success_resetsAreGoDurationsRoundedUpToTheMillisecond() async throws {
        let sandbox = try TestSandbox(json: #"{"limits": {"openai.requests": "60/min"}}"#)
        _ = await sandbox.send(ProviderRequest.chat())
        sandbox.clock.advance(by: 1_500_000_400) // the first leaves the window in 58.4999996 s
        let answer = await sandbox.send(ProviderRequest.chat())
        #expect(answer.status.code == 200)
        #expect(answer.headers["x-ratelimit-reset-requests"] == "58.5s")
        #expect(answer.headers["x-ratelimit-remaining-requests"] == "58")
    }

    @Test func sendgrid_reset_isTheUnixSecondTheWindowFrees_roundedUpFromTheExactInstant() async throws {
        let sandbox = try TestSandbox(json: #"{"limits": {"sendgrid.requests": "1/s"}}"#)
        sandbox.advance(milliseconds: 600) // wall clock 1_700_000_000.6
        let first = await sandbox.send(ProviderRequest.sendgrid())
        #expect(first.status.code == 202)
        // Frees at .6 + 1 s = 1_700_000_001.6: the header says 1_700_000_002, never the second before.
        #expect(first.headers["X-RateLimit-Reset"] == "1700000002")
        sandbox.advance(milliseconds: 500)
        let refused = await sandbox.send(ProviderRequest.sendgrid())
        #expect(refused.status.code == 429 && refused.headers["Retry-After"] == "1" && refused.headers["X-RateLimit-Reset"] == "1700000002")
    }

    @Test func forced429_withRetryAfterZero_staysZero_andOpenAISaysItInMilliseconds() async {
        let sandbox = TestSandbox()
        _ = await sandbox.post("/__sandbox/faults", json: #"{"force429": [{"endpoint": "openai.chat_completions", "count": 1, "retryAfter": 0}]}"#)
        let forced = await sandbox.send(ProviderRequest.chat())
        #expect(forced.status.code == 429 && forced.headers["Retry-After"] == "0" && forced.headers["retry-after-ms"] == "0")
    }
}
