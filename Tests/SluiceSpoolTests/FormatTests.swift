import Testing
@testable import SluiceSpool
import SluiceJSON

@Suite struct FormatTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0 as UInt64),
        ("2025-11-21T09:30:00.250Z", 1_763_717_400_250_000_000),
        ("2025-11-21T10:30:00.25+01:00", 1_763_717_400_250_000_000),
        ("2024-02-29T23:59:59.123456789Z", 1_709_251_199_123_456_789),
        ("2000-03-01T00:00:00-00:30", 951_870_600_000_000_000),
    ])
    func timestamps_parseToWallClockNanoseconds(_ text: String, _ nanoseconds: UInt64) {
        #expect(Timestamp.parse(text) == nanoseconds)
    }

    @Test(arguments: ["2025-02-29T00:00:00Z", "2025-13-01T00:00:00Z", "2025-11-21 09:30:00Z", "2025-11-21T09:30:00",
                      "1969-12-31T23:59:59Z", "2025-11-21T24:00:00Z", "2025-11-21T09:30:00.Z", "2025-11-21T09:30:00+1:00"])
    func impossibleTimestamps_areRefused(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    /// Found by the `task` fuzz target: a year past 2554 overflowed 64-bit
    /// nanoseconds and trapped, crashing whoever parsed the task (ingest included).
    @Test func timestamps_pastTheLast64BitNanosecond_areRefusedNotTrapped() {
        #expect(Timestamp.parse("2554-07-21T23:34:32.999999999Z") == 18_446_744_072_999_999_999)
        #expect(Timestamp.parse("2554-07-21T23:34:33Z") == nil)
        #expect(Timestamp.parse("8636-02-29T00:00:00Z") == nil)
        #expect(Timestamp.parse("9999-12-31T23:59:59+23:59") == nil)
    }

    @Test func format_isUTCWithMilliseconds() {
        #expect(Timestamp.format(1_763_717_400_250_999_999) == "2025-11-21T09:30:00.250Z")
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00.000Z")
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func sha256_matchesKnownDigests(_ message: String, _ hex: String) {
        #expect(SHA256.hash(Array(message.utf8)).map { String($0, radix: 16).leftPadded(to: 2) }.joined() == hex)
    }

    @Test(arguments: [#"{"a":[1,-0.5e+3,true,false,null,"\u00e9\ud83d\ude00\n"]}"#, "[]", "{}", #""x""#, "0"])
    func json_roundTrips(_ text: String) throws {
        let value = try JSONParser.parse(Array(text.utf8))
        #expect(try JSONParser.parse(JSONWriter.bytes(value)) == value)
    }

    @Test(arguments: ["01", "1.", "-", "[1,]", #"{"a" 1}"#, "tru", #""\x""#, "[1] 2", #""\ud800""#, "\"\u{1}\""])
    func json_refusesInvalidText(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func json_refusesNestingDeeperThanTheLimit() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect { try JSONParser.parse(Array(deep.utf8)) } throws: { "\($0)".contains("nested") }
    }

    @Test func readyNames_sortByDueTimeAndParseBack() throws {
        let early = SpoolNames.ready(dueAt: 999, key: "z")
        let late = SpoolNames.ready(dueAt: 1_763_717_400_000_000_000, key: "a")
        #expect(early < late)
        #expect(SpoolNames.parseReady(late)?.dueAt == 1_763_717_400_000_000_000)
        #expect(SpoolNames.parseLeased(SpoolNames.leased(pid: 42, readyName: early))?.pid == 42)
        #expect(SpoolNames.parseReady("123-x") == nil)
        #expect(SpoolNames.parseReady("99999999999999999999-x") == nil, "overflows UInt64")
    }
}
