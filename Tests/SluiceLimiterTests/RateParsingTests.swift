import Testing
@testable import SluiceLimiter

@Suite struct RateParsingTests {
    @Test(arguments: [
        ("1/s", 1_000_000_000 as UInt64),
        ("1.5/s", 666_666_667),       // rounded up: never faster than written
        ("100/min", 600_000_000),
        ("90000/min", 666_667),
        ("2/h", 1_800_000_000_000),
        ("1/d", 86_400_000_000_000),
        ("1000000000/s", 1),
        ("0.5/s", 2_000_000_000),
    ])
    func validRates_parseToTheirIntervalRoundedUp(_ text: String, _ interval: UInt64) throws {
        #expect(try Rate(parsing: text).interval == interval)
    }

    @Test func unlimited_hasZeroInterval() throws {
        #expect(try Rate(parsing: "unlimited").interval == 0)
    }

    @Test(arguments: [
        "0/s", "0.0/s", "-1/s", "+1/s", "nan/s", "inf/s", "1e3/s", "100/sec", "100", "/s", "1/", "1//s",
        "1.2.3/s", ".5/s", "5./s", " 1/s", "1/s ", "1/S", "99999999999999999999/s", "2000000000/s", "1,5/s", "",
    ])
    func badRates_areRefusedNamingTheValue(_ text: String) {
        #expect(throws: RateError.self) { try Rate(parsing: text) }
        do {
            _ = try Rate(parsing: text)
        } catch {
            #expect(error.description.contains("\"\(text)\""), "the error names the value")
            #expect(error.value == text)
        }
    }

    @Test func misspeltUnit_suggestsTheFix() {
        do {
            _ = try Rate(parsing: "100/sec")
            Issue.record("accepted 100/sec")
        } catch {
            #expect(error.description == #""100/sec" is not a rate: "sec" is not a unit; write "100/s" or "6000/min" (units: s, min, h, d)"#)
        }
    }

    @Test func allowedStarts_usesTheRateAsWrittenNotTheRoundedInterval() throws {
        let rate = try Rate(parsing: "1.5/s")
        #expect(rate.allowedStarts(inWindow: 2_000_000_000, burst: 1) == 4)   // 1.5 × 2 + 1
        #expect(rate.allowedStarts(inWindow: 1_000_000_000, burst: 1) == 2)   // floor(1.5) + 1
        #expect(try Rate(parsing: "100/min").allowedStarts(inWindow: 60_000_000_000, burst: 5) == 105)
        #expect(Rate.unlimited.allowedStarts(inWindow: 1, burst: 1) == .max)
    }
}
