import SluiceJSON
import SluiceLimiter
import SluiceCore

/// Reads one JSON object of the configuration, field by field, remembering
/// where it is so every error names the field's full path.
///
/// Each field is read once; `finish()` then refuses any key not read, so a
/// misspelt or unknown field is an error, never silently ignored.
struct ObjectReader {
    let path: String
    private let object: JSONObject
    private var read: Set<String> = []

    init(_ value: JSONValue, path: String) throws(ConfigError) {
        guard case .object(let object) = value else { throw ConfigError(path, "must be an object, not \(value.typeDescription)") }
        self.object = object
        self.path = path
    }

    /// The full path of `key`. An empty key is shown as `""`, so an error
    /// about it still names something (found by fuzzing: `{"": 1}` was
    /// refused as "config: is not a known field").
    func field(_ key: String) -> String {
        let shown = key.isEmpty ? "\"\"" : key
        return path.isEmpty ? shown : "\(path).\(shown)"
    }

    var keys: [String] { object.keys }

    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        if case .null = object[key] { return nil }
        return object[key]
    }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw ConfigError(field(key), "must be a string, not \(value.typeDescription)") }
        return text
    }

    mutating func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let text = try string(key) else { throw ConfigError(field(key), "is required") }
        return text
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let literal) = value, let number = Int(literal) else {
            throw ConfigError(field(key), "must be a whole number, not \(value.typeDescription == "a number" ? literal(value) : value.typeDescription)")
        }
        guard range.contains(number) else { throw ConfigError(field(key), "\(number) is not in \(range.lowerBound)…\(range.upperBound)") }
        return number
    }

    mutating func decimal(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let text) = value, let number = Double(text), number.isFinite else {
            throw ConfigError(field(key), "must be a number, not \(value.typeDescription)")
        }
        guard range.contains(number) else { throw ConfigError(field(key), "\(text) is not in \(range.lowerBound)…\(range.upperBound)") }
        return number
    }

    mutating func rate(_ key: String) throws(ConfigError) -> Rate? {
        guard let text = try string(key) else { return nil }
        do {
            return try Rate(parsing: text)
        } catch {
            throw ConfigError(field(key), "\(error)")
        }
    }

    mutating func duration(_ key: String, atLeast minimum: UInt64 = 0) throws(ConfigError) -> UInt64? {
        guard let text = try string(key) else { return nil }
        guard let nanoseconds = DurationText.nanoseconds(text) else {
            throw ConfigError(field(key), "\"\(text)\" is not a duration; write e.g. \"30s\", \"10m\", \"1m30s\" or \"250ms\"")
        }
        guard nanoseconds >= minimum else {
            throw ConfigError(field(key), "\"\(text)\" is too short; the least is \(DurationText.describe(minimum))")
        }
        return nanoseconds
    }

    mutating func object(_ key: String) throws(ConfigError) -> ObjectReader? {
        guard let value = value(key) else { return nil }
        return try ObjectReader(value, path: field(key))
    }

    mutating func array(_ key: String) throws(ConfigError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw ConfigError(field(key), "must be an array, not \(value.typeDescription)") }
        return elements
    }

    /// Refuses any field that was not read.
    func finish(allowed: [String] = []) throws(ConfigError) {
        if let unknown = object.keys.first(where: { !read.contains($0) }) {
            let known = read.sorted().joined(separator: ", ")
            throw ConfigError(field(unknown), "is not a known field (known here: \(known))")
        }
    }

    private func literal(_ value: JSONValue) -> String {
        if case .number(let text) = value { return text }
        return value.typeDescription
    }
}
