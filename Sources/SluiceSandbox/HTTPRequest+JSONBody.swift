import Foundation
import SluiceHTTP

// Provider request bodies are read with JSONSerialization, not SluiceJSON,
// on purpose: it accepts a repeated key (the last one wins) and a trailing
// comma, which SluiceJSON's strict parser refuses, and the sandbox's answers
// to such requests must not change (SendGrid answers 202, not 400).

extension HTTPRequest {
    /// The body as a JSON object, or nil.
    var jsonObject: [String: Any]? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(body)) else { return nil }
        return value as? [String: Any]
    }
}

/// Numbers as JSONSerialization hands them over. On Linux a JSON `1` is an
/// NSNumber that also casts to Bool, and `true` one that casts to Int, so
/// the two are told apart by the number's stored type.
enum JSONNumber {
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    static func double(_ value: Any) -> Double? {
        guard let number = value as? NSNumber, !isBoolean(value) else { return nil }
        return number.doubleValue
    }

    /// A whole number (not 1.5, not true).
    static func integer(_ value: Any) -> Int? {
        guard let number = double(value), number == number.rounded(), abs(number) < 1e15 else { return nil }
        return Int(number)
    }
}
