// libFuzzer target: the sandbox's `sharedBudget` fault (SharedBudgetSpender,
// SandboxLimits, SlidingLog) under arbitrary shares, limits and timings,
// through the engine as the sandbox drives it. Built by scripts/fuzz.sh.
//
// The input is: a byte for the limit (count per second or per minute), a
// byte for the share (1…255 of 255, or a tiny one), a byte for `until`,
// then steps of two bytes: how far the clock moves (up to ~4 s, scaled by the
// first), and what happens then (a Stripe request, a stats read, the plan
// replaced or cleared).
//
// Properties, each a trap when violated:
// - nothing traps, whatever the share, limit or clock;
// - the limit holds: what the window ending now has admitted (the queue's
//   and the unseen client's together) never exceeds what it allows;
// - the unseen client is never counted as arrivals: the worst window of
//   arrivals never exceeds the requests the fuzzer itself sent.
// (That the queue is refused while the other client holds the window is a
// unit test's job: the two compete for freed units, so it is not a property
// of every schedule.)
@testable import SluiceSandbox
import SluiceHTTP
import SluiceJSON

private let start: UInt64 = 1_000_000_000_000
private let request = HTTPRequest(
    method: "POST", target: "/v1/payment_intents",
    headers: ["Host": "sandbox", "Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer sk_test_1"],
    body: Array("amount=100&currency=usd".utf8)
)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSharedBudget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 3 else { return 0 }
    let perMinute = bytes[0] & 0x80 != 0
    let allowed = UInt64(bytes[0] & 0x7F) + 1
    let limit = WindowLimit(allowed: allowed, window: perMinute ? 60_000_000_000 : 1_000_000_000, text: "\(allowed)/\(perMinute ? "min" : "s")")
    let share = bytes[1] == 0 ? 1e-300 : Double(bytes[1]) / 255
    let until: UInt64? = bytes[2] == 0 ? nil : UInt64(bytes[2]) * 50_000_000
    var configuration = SandboxConfiguration()
    configuration.limits = [.stripeRequests: limit]
    var engine = SandboxEngine(configuration: configuration, now: start)
    var plan = FaultPlan()
    plan.sharedBudget = FaultPlan.SharedBudget(endpoint: .stripePaymentIntents, share: share, until: until)
    var now = start
    engine.setFaults(plan, now: now)
    var sent: UInt64 = 0
    let scale: UInt64 = perMinute ? 240_000_000 : 16_000_000
    var index = 3
    while index + 1 < bytes.count {
        now += UInt64(bytes[index]) * scale
        switch bytes[index + 1] % 8 {
        case 6:
            engine.setFaults(bytes[index + 1] & 0x80 != 0 ? FaultPlan() : plan, now: now)
        case 7:
            check(engine.statsJSON(now: now), allowed: allowed, sent: sent)
        default:
            let status = engine.respond(to: request, endpoint: .stripePaymentIntents, at: SandboxInstant(monotonic: now, epochSeconds: 1_700_000_000)).response.status.code
            require(status == 200 || status == 429, "a valid payment intent was answered \(status)")
            sent += 1
            check(engine.statsJSON(now: now), allowed: allowed, sent: sent)
        }
        index += 2
    }
    return 0
}

private func check(_ stats: JSONValue, allowed: UInt64, sent: UInt64) {
    guard case .object(let root) = stats, let current = root.integer(at: "limits", "stripe.requests", "current"),
          let worst = root.integer(at: "limits", "stripe.requests", "worstWindow") else { violated("stats without the limit") }
    require(current >= 0 && UInt64(current) <= allowed, "\(current) admitted in one window of \(allowed)")
    require(worst >= 0 && UInt64(worst) <= sent, "worst window \(worst) counts more than the \(sent) requests sent: the unseen client was counted")
}
