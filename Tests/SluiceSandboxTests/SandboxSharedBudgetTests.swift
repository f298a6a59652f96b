import Foundation
import SluiceHTTP
import SluiceSandbox
import Testing

/// The `sharedBudget` fault on a manual clock: an unseen client spends its
/// share of the same sliding windows, so the queue gets 429s above the rest
/// and none at or below it, and the full limit back once it stops.
@Suite struct SandboxSharedBudgetTests {
    static let stripeTenPerSecond = #"{"limits": {"stripe.requests": "10/s"}}"#

    /// Sends `count` payment intents `spacing` ns apart; the statuses.
    func send(_ sandbox: TestSandbox, count: Int, spacing: UInt64) async -> [Int] {
        var statuses: [Int] = []
        for _ in 0..<count {
            statuses.append(await sandbox.send(ProviderRequest.paymentIntent()).status.code)
            sandbox.clock.advance(by: spacing)
        }
        return statuses
    }

    @Test func queue_atTheRestOfTheLimit_getsNo429_andAboveItGets429s() async throws {
        let sandbox = try TestSandbox(json: Self.stripeTenPerSecond)
        #expect(await sandbox.post("/__sandbox/faults", json: #"{"sharedBudget": {"endpoint": "stripe.payment_intents", "share": 0.3}}"#).status.code == 200)
        sandbox.advance(milliseconds: 2_000) // the other client now fills its 3 of every second
        // Spacings rounded up, so no window of one second holds an eighth (or a tenth) of the queue's requests.
        let atTheRest = await send(sandbox, count: 35, spacing: 142_857_143)
        #expect(atTheRest.allSatisfy { $0 == 200 }, "\(atTheRest)")
        let above = await send(sandbox, count: 40, spacing: 111_111_112)
        #expect(above.filter { $0 == 429 }.count >= 5, "\(above)")
        let stats = await sandbox.stats()
        // The unseen client never shows in what the queue is judged by.
        #expect(int(stats, "limits", "stripe.requests", "worstWindow") == 9)
        #expect(int(stats, "endpoints", "stripe.payment_intents", "requests") == 75)
        // 3/s for the 7 s before the queue pushed above the rest; after that the two compete for the window.
        #expect((int(stats, "sharedBudget", "limits", "stripe.requests", "spent") ?? 0) >= 3 * 7)
        #expect(value(stats, "sharedBudget", "active") as? Bool == true)
    }

    @Test func until_stopsTheOtherClient_andTheFullLimitComesBackAfterOneWindow() async throws {
        let sandbox = try TestSandbox(json: Self.stripeTenPerSecond)
        _ = await sandbox.post("/__sandbox/faults", json: #"{"sharedBudget": {"endpoint": "stripe.payment_intents", "share": 0.5, "until": "2s"}}"#)
        sandbox.advance(milliseconds: 1_500)
        let shared = await send(sandbox, count: 10, spacing: 1_000_000)
        #expect(shared.filter { $0 == 200 }.count == 5, "\(shared)")
        sandbox.advance(milliseconds: 2_000) // past `until` and one window
        let alone = await send(sandbox, count: 10, spacing: 1_000_000)
        #expect(alone.allSatisfy { $0 == 200 }, "\(alone)")
        #expect(value(await sandbox.stats(), "sharedBudget", "active") as? Bool == false)
    }

    @Test func replacingThePlan_stopsTheOtherClientAtOnce() async throws {
        let sandbox = try TestSandbox(json: Self.stripeTenPerSecond)
        _ = await sandbox.post("/__sandbox/faults", json: #"{"sharedBudget": {"endpoint": "stripe.refunds", "share": 1}}"#)
        sandbox.advance(milliseconds: 1_000)
        #expect(await sandbox.send(ProviderRequest.paymentIntent()).status.code == 429) // refunds and intents share stripe.requests
        _ = await sandbox.post("/__sandbox/faults", json: "{}")
        sandbox.advance(milliseconds: 1_001)
        #expect(await send(sandbox, count: 10, spacing: 0).allSatisfy { $0 == 200 })
        #expect(value(await sandbox.stats(), "sharedBudget") is NSNull)
    }

    @Test func openai_sharedTokens_showInTheBudgetHeadersTheQueueReads() async throws {
        let sandbox = try TestSandbox(json: #"{"limits": {"openai.requests": "100/min", "openai.tokens": "10000/min"}}"#)
        _ = await sandbox.post("/__sandbox/faults", json: #"{"sharedBudget": {"endpoint": "openai.chat_completions", "share": 0.3}}"#)
        sandbox.advance(milliseconds: 60_000)
        let answer = await sandbox.send(ProviderRequest.chat(maxTokens: 10)) // 2 + 10 tokens
        #expect(answer.status.code == 200)
        // 30% of each limit is spent by the other client: about 70 requests and 7,000 tokens are left.
        let requests = Int(answer.headers["x-ratelimit-remaining-requests"] ?? "") ?? -1
        let tokens = Int(answer.headers["x-ratelimit-remaining-tokens"] ?? "") ?? -1
        #expect((68...70).contains(requests), "\(requests)")
        #expect((6_950...7_000).contains(tokens), "\(tokens)")
    }

    /// Shares at their limits: one so small its interval overflows every instant never sends (and never traps).
    @Test(arguments: ["1e-300", "0.000000001", "1"])
    func tinyOrWholeShares_neverTrap(_ share: String) async throws {
        let sandbox = try TestSandbox(json: #"{"limits": {"stripe.requests": "1000000/s", "sendgrid.requests": "1/d"}}"#)
        for endpoint in ["stripe.payment_intents", "sendgrid.mail_send"] {
            #expect(await sandbox.post("/__sandbox/faults", json: #"{"sharedBudget": {"endpoint": "\#(endpoint)", "share": \#(share)}}"#).status.code == 200)
            sandbox.advance(milliseconds: 3_000)
            _ = await sandbox.send(ProviderRequest.paymentIntent())
            #expect(await sandbox.get("/__sandbox/stats").status.code == 200)
        }
    }

    @Test(arguments: [
        (#"{"sharedBudget": {"endpoint": "twilio.messages", "share": 0.3}}"#, "faults.sharedBudget.endpoint", "twilio.messages"),
        (#"{"sharedBudget": {"endpoint": "sandbox.echo", "share": 0.3}}"#, "faults.sharedBudget.endpoint", "sandbox.echo"),
        (#"{"sharedBudget": {"share": 0.3}}"#, "faults.sharedBudget.endpoint", ""),
        (#"{"sharedBudget": {"endpoint": "stripe.refunds", "share": 0}}"#, "faults.sharedBudget.share", "0"),
        (#"{"sharedBudget": {"endpoint": "stripe.refunds", "share": 1.5}}"#, "faults.sharedBudget.share", "1.5"),
        (#"{"sharedBudget": {"endpoint": "stripe.refunds", "share": "30%"}}"#, "faults.sharedBudget.share", "30%"),
        (#"{"sharedBudget": {"endpoint": "stripe.refunds"}}"#, "faults.sharedBudget.share", "null"),
        (#"{"sharedBudget": {"endpoint": "stripe.refunds", "share": 0.3, "until": "forever"}}"#, "faults.sharedBudget.until", "forever"),
        (#"{"sharedBudget": {"endpoint": "stripe.refunds", "share": 0.3, "until": "0s"}}"#, "faults.sharedBudget.until", "0s"),
        (#"{"sharedBudget": {"endpoint": "stripe.refunds", "share": 0.3, "til": "3s"}}"#, "faults.sharedBudget.til", "3s"),
        (#"{"sharedBudget": [{"endpoint": "stripe.refunds", "share": 0.3}]}"#, "faults.sharedBudget", ""),
    ])
    func badSharedBudget_is400NamingTheField_andChangesNothing(_ plan: String, _ field: String, _ shown: String) async {
        let sandbox = TestSandbox()
        let answer = await sandbox.post("/__sandbox/faults", json: plan)
        let message = json(answer)["error"] as? String ?? ""
        #expect(answer.status.code == 400)
        #expect(message.hasPrefix("\(field): \"\(shown)"), "\(message)")
        #expect(value(json(await sandbox.get("/__sandbox/faults")), "sharedBudget") == nil)
    }
}
