// libFuzzer target: rates and durations as people write them: `Rate(parsing:)`
// (SluiceLimiter), `DurationText` (SluiceCore; config and OpenAI's
// `x-ratelimit-reset-*`), and the sandbox's `WindowLimit(parsing:)`.
// Built by scripts/fuzz.sh. The input is one text, given to all three.
//
// Properties, each a trap when violated:
// - no text crashes any of them; a refusal quotes the text and says why;
// - a rate's interval is the written rate rounded *up* (never faster than
//   written, and less than one nanosecond slower), and its canonical form
//   parses to the same rate;
// - a duration printed by `describe` parses back to exactly the same
//   nanoseconds, and by `goStyle` to the same, rounded to the millisecond;
// - a window limit is written in plain digits, and its canonical form
//   parses to the same limit.
@testable import SluiceLimiter
import SluiceCore
import SluiceSandbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRateText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    checkRate(text)
    checkDuration(text)
    checkWindowLimit(text)
    return 0
}

private func checkRate(_ text: String) {
    let rate: Rate
    do {
        rate = try Rate(parsing: text)
    } catch {
        require(error.value == text && !error.reason.isEmpty, "a refusal quotes the text and says why")
        return
    }
    guard rate != .unlimited else { return }
    require(rate.interval > 0, "a limited rate has an interval")
    // interval = ceil(per × 10^scale / count): never faster than written.
    var power: UInt128 = 1
    for _ in 0..<rate.scale { power *= 10 }
    let exact = UInt128(rate.per) * power
    require(UInt128(rate.interval) * UInt128(rate.count) >= exact, "the interval makes the rate faster than written")
    require(UInt128(rate.interval - 1) * UInt128(rate.count) < exact, "the interval is rounded by more than 1 ns")
    let unit = Rate.units.first { $0.nanoseconds == rate.per }!.name
    var digits = String(rate.count)
    if rate.scale > 0 {
        digits = String(repeating: "0", count: max(0, rate.scale + 1 - digits.count)) + digits
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -rate.scale))
    }
    guard let again = try? Rate(parsing: "\(digits)/\(unit)") else { violated("canonical \(digits)/\(unit) is refused") }
    require(again.interval == rate.interval && again.allowedStarts(inWindow: 3_600_000_000_000, burst: 1)
                 == rate.allowedStarts(inWindow: 3_600_000_000_000, burst: 1), "the canonical form is another rate")
}

private func checkDuration(_ text: String) {
    guard let nanoseconds = DurationText.nanoseconds(text) else { return }
    let described = DurationText.describe(nanoseconds)
    require(DurationText.nanoseconds(described) == nanoseconds, "describe gives \(described), which is not \(nanoseconds) ns")
    let milliseconds = nanoseconds / 1_000_000 + (nanoseconds % 1_000_000 >= 500_000 ? 1 : 0)
    let (rounded, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
    let goStyle = DurationText.goStyle(nanoseconds)
    require(DurationText.nanoseconds(goStyle) == (overflow ? nil : rounded), "goStyle gives \(goStyle) for \(nanoseconds) ns")
}

private func checkWindowLimit(_ text: String) {
    let limit: WindowLimit
    do {
        limit = try WindowLimit(parsing: text)
    } catch {
        require(error.value == text && !error.fix.isEmpty, "a refusal quotes the text and says what to write")
        return
    }
    let count = text.prefix { $0 != "/" }
    require(!count.isEmpty && count.allSatisfy { $0.isASCII && $0.isNumber }, "\"\(text)\": a count is plain digits")
    // The window is a whole number (1…999,999) of one unit: `3/2s`.
    let written = text.drop { $0 != "/" }.dropFirst()
    let digits = written.prefix { $0.isASCII && $0.isNumber }
    let multiple = digits.isEmpty ? 1 : UInt64(digits) ?? 0
    guard let unit = Rate.units.first(where: { $0.name == written.dropFirst(digits.count) }) else { violated("\"\(text)\": accepted without a unit") }
    require(limit.allowed > 0 && multiple > 0 && limit.window == unit.nanoseconds &* multiple, "a limit has a count and a window of whole units")
    guard let again = try? WindowLimit(parsing: "\(limit.allowed)/\(multiple == 1 ? "" : "\(multiple)")\(unit.name)") else { violated("canonical form refused") }
    require(again.allowed == limit.allowed && again.window == limit.window, "the canonical form is another limit")
}
