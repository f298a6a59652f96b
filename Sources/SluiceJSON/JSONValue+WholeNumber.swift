extension JSONValue {
    /// The number as an exact whole number ≥ 0, however JSON writes it:
    /// `8000`, `8000.0`, `8e3` and `0.8E4` are all 8000, as a provider that
    /// parses numbers as numbers reads them. Nil for `8000.5`, `-1`, `1e400`,
    /// a value above 2⁶⁴ − 1, or anything that is not a number.
    public var wholeNumber: UInt64? {
        guard case .number(let literal) = self else { return nil }
        return Self.wholeNumber(literal: Array(literal.utf8))
    }

    /// Requires: `literal` is a valid JSON number (the parser checked it).
    static func wholeNumber(literal: [UInt8]) -> UInt64? {
        var index = 0
        let negative = literal.first == UInt8(ascii: "-")
        if negative { index += 1 }
        // The significant digits, integer and fraction parts run together.
        var digits: [UInt8] = []
        var fractionDigits = 0
        var inFraction = false
        while index < literal.count {
            let byte = literal[index]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                digits.append(byte - UInt8(ascii: "0"))
                if inFraction { fractionDigits += 1 }
            } else {
                break
            }
            index += 1
        }
        var exponent = 0
        if index < literal.count, literal[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            let exponentNegative = literal[index] == UInt8(ascii: "-")
            if literal[index] == UInt8(ascii: "-") || literal[index] == UInt8(ascii: "+") { index += 1 }
            while index < literal.count {
                // Far past any whole number we could hold: clamp, and let the checks below decide.
                exponent = min(exponent * 10 + Int(literal[index] - UInt8(ascii: "0")), 100_000)
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        // Leading zeros change nothing (the fraction count already placed the point).
        digits = Array(digits.drop { $0 == 0 })
        if digits.isEmpty { return 0 }  // 0, -0, 0.0, 0e5
        if negative { return nil }
        var shift = exponent - fractionDigits
        while shift < 0 {
            guard digits.last == 0 else { return nil }  // a fraction left over: not whole
            digits.removeLast()
            shift += 1
        }
        guard digits.count + shift <= 20 else { return nil }
        var value: UInt64 = 0
        for digit in digits + [UInt8](repeating: 0, count: shift) {
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }
}
