import Foundation
import SluiceJSON
import SluicePOSIX
import SluiceTestSupport
import Testing

/// The queue is held for the wait the provider gave, to the millisecond, not
/// for a second rounded up: the fleet against the sandbox's OpenAI, which
/// sends `retry-after-ms` on a 429 and its resets to the millisecond on every
/// answer, as OpenAI does (a spent budget holds the queue before any 429).
@Suite(.serialized) struct PreciseWaitEndToEndTests {
    @Test func openai_spentBudgetOr429_holdsTheQueueForTheMillisecondWait_notAWholeSecond() throws {
        let fixture = try FleetFixture(sandboxConfiguration: #"{"limits": {"openai.requests": "5/s", "openai.tokens": "unlimited"}}"#)
        // Ten times the provider's limit: the queue meets 429s at once.
        try fixture.configure(queues: #"{"openai-api": {"provider": "openai", "baseURL": "BASE", "rate": "50/s", "maxConcurrentPerWorker": 1}}"#)
        try fixture.enqueue("openai-api", (0..<15).map { _ in
            #"{"kind":"generate_text","payload":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":5}}"#
        })
        try fixture.startFleet()
        #expect(fixture.waitUntilDrained(["openai-api"], seconds: 60))
        #expect(try fixture.stopFleet().0 == .exited(0))
        #expect(try fixture.counts("openai-api").dead == 0, "a 429 that says when spends no attempt")

        let pushes = fixture.fleetLog.compactMap(LoggedEvent.init).filter { $0.name == "queue.pushed_back" }
        #expect(!pushes.isEmpty, "the queue met the limit")
        for push in pushes {
            #expect(["retry-after-ms", "x-ratelimit-reset-requests"].contains(push.fields["from"] ?? ""), "\(push.fields)")
            #expect(push.fields["for_ms"].flatMap(Int.init).map { $0 <= 1_000 } == true, "\(push.fields)")
        }
        // The budget is spent after the window's first requests went out: the wait is what is left of its second.
        #expect(pushes.contains { push in push.fields["for_ms"].flatMap(Int.init).map { $0 < 1_000 } == true }, "\(pushes.map(\.fields))")
        let stats = try fixture.stats()
        #expect(number(stats, "endpoints", "openai.chat_completions", "successes") == 15)
    }
}
