import Testing
@testable import SluiceJSON

@Suite struct JSONObjectPathTests {
    @Test func integerAtPath_readsNestedWholeNumbersOnly() throws {
        guard case .object(let stats) = try JSONParser.parse(Array(#"{"a":{"b":{"n":42,"x":1.5,"s":"7"}}}"#.utf8)) else {
            Issue.record("not an object"); return
        }
        #expect(stats.integer(at: "a", "b", "n") == 42)
        #expect(stats.integer(at: "a", "b", "x") == nil, "not a whole number")
        #expect(stats.integer(at: "a", "b", "s") == nil, "a string is not a number")
        #expect(stats.integer(at: "a", "missing", "n") == nil)
        #expect(stats.integer(at: "a") == nil, "an object is not a number")
    }
}
