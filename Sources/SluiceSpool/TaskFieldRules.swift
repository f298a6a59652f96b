import SluiceJSON
/// The rule for each task field, with the error that names it.
enum TaskFieldRules {
    static let maximumKindLength = 64
    static let maximumKeyLength = 255
    static let costRange: ClosedRange<UInt64> = 1...1_000_000_000
    static let maxAttemptsRange = 1...1000

    static func refuseUnknownFields(_ object: JSONObject) throws(TaskValidationError) {
        for key in object.keys where !TaskRequest.clientFields.contains(key) {
            if TaskRequest.spoolFields.contains(key) {
                throw TaskValidationError(field: key, problem: "is set by the spool, not by the client; leave it out")
            }
            throw TaskValidationError(field: key, problem: "is not a task field; the fields are "
                                      + TaskRequest.clientFields.joined(separator: ", "))
        }
    }

    /// A task kind: `[a-z][a-z0-9_]*`, at most 64 characters (`send_email`).
    static func checkKind(_ kind: String) throws(TaskValidationError) {
        let bytes = Array(kind.utf8)
        guard let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
              bytes.count <= maximumKindLength,
              bytes.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                  || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }) else {
            throw TaskValidationError(field: "kind", value: kind, problem: "is not a task kind; write lowercase letters, "
                                      + "digits and \"_\", starting with a letter, at most \(maximumKindLength) (e.g. \"send_email\")")
        }
    }

    /// A limit key: 1…255 bytes of printable text.
    static func checkKey(_ key: String) throws(TaskValidationError) {
        guard !key.isEmpty, key.utf8.count <= maximumKeyLength, !key.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw TaskValidationError(field: "key", value: key,
                                      problem: "is not a limit key; use 1…\(maximumKeyLength) bytes of printable text, e.g. \"+15550100\"")
        }
    }

    static func checkCost(_ cost: UInt64, text: String) throws(TaskValidationError) {
        guard costRange.contains(cost) else {
            throw TaskValidationError(field: "cost", value: text, problem: "is out of range; write a whole number from 1 to 1000000000")
        }
    }

    static func checkMaxAttempts(_ attempts: Int, text: String) throws(TaskValidationError) {
        guard maxAttemptsRange.contains(attempts) else {
            throw TaskValidationError(field: "maxAttempts", value: text, problem: "is out of range; write a whole number from 1 to 1000")
        }
    }

    /// The string value of `field`, nil if absent; any other type is an error.
    static func string(_ object: JSONObject, _ field: String) throws(TaskValidationError) -> String? {
        guard let value = object[field] else { return nil }
        guard case .string(let text) = value else {
            throw TaskValidationError(field: field, problem: "must be a string, not \(value.typeDescription)")
        }
        return text
    }

    /// A whole, non-negative number without fraction or exponent, nil if absent.
    static func integer(_ object: JSONObject, _ field: String) throws(TaskValidationError) -> UInt64? {
        guard let value = object[field] else { return nil }
        guard case .number(let literal) = value else {
            throw TaskValidationError(field: field, problem: "must be a whole number, not \(value.typeDescription)")
        }
        guard let number = UInt64(literal), number <= UInt64(Int32.max) else {
            throw TaskValidationError(field: field, value: literal, problem: "is not a whole number in range; write e.g. 3")
        }
        return number
    }

    /// An RFC 3339 instant as wall-clock nanoseconds, nil if absent.
    static func timestamp(_ object: JSONObject, _ field: String) throws(TaskValidationError) -> UInt64? {
        guard let text = try string(object, field) else { return nil }
        guard let instant = Timestamp.parse(text) else {
            throw TaskValidationError(field: field, value: text,
                                      problem: "is not an RFC 3339 time from 1970 to 2554; write e.g. \"2025-11-21T09:30:00Z\"")
        }
        return instant
    }
}
