import SluiceJSON
import Testing

/// Values built in code: the text they write, and that it reads back equal.
@Suite struct JSONValueBuildingTests {
    @Test(arguments: [
        (0, "0"),
        (-7, "-7"),
        (Int.max, "9223372036854775807"),
        (Int.min, "-9223372036854775808"),
    ])
    func integer_writesDecimal(_ value: Int, _ text: String) throws {
        #expect(JSONWriter.string(.integer(value)) == text)
        #expect(try JSONParser.parse(Array(text.utf8)) == .integer(value))
    }

    @Test(arguments: [
        (0.1, "0.1"),
        (1, "1.0"),                                   // a Double stays visibly a Double
        (1e-7, "1e-07"),                              // Swift's exponent form is valid JSON
        (-0.0, "-0.0"),
        (0.30000000000000004, "0.30000000000000004"), // the shortest text that reads back exactly
        (1e300, "1e+300"),
        (Double.leastNonzeroMagnitude, "5e-324"),     // the smallest subnormal
    ])
    func double_writesShortestTextThatReadsBackExactly(_ value: Double, _ text: String) throws {
        #expect(JSONWriter.string(.double(value)) == text)
        #expect(try JSONParser.parse(Array(text.utf8)) == .double(value))
        #expect(Double(text) == value)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func double_whenNotFinite_isNull(_ value: Double) {
        #expect(JSONValue.double(value) == .null)
    }

    @Test func stringOrNull_isTheStringOrNull() {
        #expect(JSONValue.string(orNull: "a") == .string("a"))
        #expect(JSONValue.string(orNull: nil) == .null)
    }

    @Test func objectFromPairs_keepsTheOrderGiven() throws {
        let value = JSONValue.object([("b", .integer(1)), ("a", .bool(true)), ("c", .object([]))])
        #expect(JSONWriter.string(value) == #"{"b":1,"a":true,"c":{}}"#)
        #expect(try JSONParser.parse(JSONWriter.bytes(value)) == value)
    }

    @Test func objectFromPairs_whenAKeyRepeats_keepsItsFirstPlaceAndLastValue() {
        let object = JSONObject([("a", .integer(1)), ("b", .integer(2)), ("a", .integer(3))])
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == .integer(3))
        var assigned = JSONObject()
        assigned["a"] = .integer(1)
        assigned["b"] = .integer(2)
        assigned["a"] = .integer(3)
        #expect(object == assigned)
    }

    @Test func objectFromNoPairs_isEmpty() {
        #expect(JSONObject([]) == JSONObject())
    }
}

@Suite struct JSONWholeNumberTests {
    @Test(arguments: [
        ("8000", UInt64?(8000)), ("8000.0", 8000), ("8e3", 8000), ("8E+3", 8000), ("0.8e4", 8000), ("80000e-1", 8000),
        ("0.05e2", 5), ("0", 0), ("-0", 0), ("0.0e-7", 0), ("18446744073709551615", .max),
        ("8000.5", nil), ("-1", nil), ("1e400", nil), ("18446744073709551616", nil), ("1e-400", nil), ("0.1", nil),
        ("1.8446744073709551615e19", .max), ("100000000000000000000e-1", 10_000_000_000_000_000_000),
    ])
    func wholeNumber_readsEveryWayJSONWritesAWholeNumber(_ literal: String, _ expected: UInt64?) {
        #expect(JSONValue.number(literal).wholeNumber == expected, "\(literal)")
    }

    @Test func wholeNumber_ofANonNumber_isNil() {
        #expect(JSONValue.string("8000").wholeNumber == nil)
        #expect(JSONValue.bool(true).wholeNumber == nil)
    }
}
