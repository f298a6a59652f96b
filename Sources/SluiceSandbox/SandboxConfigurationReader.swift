import SluiceJSON

/// Reads a JSON object of the sandbox's configuration field by field, so
/// every error names the field's full path, its value and the fix, and
/// unknown fields are refused.
///
/// A field present with `null` counts as present (and is refused where a
/// value is required); only an absent field reads as nil.
struct SandboxConfigurationReader {
    let path: String
    private let object: JSONObject
    private var used: Set<String> = []

    init(_ object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// Parses `bytes` as a JSON object (strictly: see `JSONParser`).
    init(parsing bytes: [UInt8], path: String) throws(SandboxConfigurationError) {
        guard let parsed = try? JSONParser.parse(bytes), case .object(let object) = parsed else {
            throw SandboxConfigurationError(field: path, value: String(decoding: bytes.prefix(80), as: UTF8.self),
                                            fix: "it must be a JSON object, like {\"errorRatio\": 0.1}")
        }
        self.init(object, path: path)
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The object's keys, sorted, so errors come in the same order whatever the file's order.
    var keys: [String] { object.keys.sorted() }

    mutating func value(_ key: String) -> JSONValue? {
        used.insert(key)
        return object[key]
    }

    mutating func string(_ key: String) throws(SandboxConfigurationError) -> String? {
        guard let raw = value(key) else { return nil }
        guard case .string(let text) = raw else { throw SandboxConfigurationError(field: field(key), shown: raw, fix: "it must be a string") }
        return text
    }

    /// A number within `range`; `-0` reads as `0`.
    mutating func number(_ key: String, in range: ClosedRange<Double>) throws(SandboxConfigurationError) -> Double? {
        guard let raw = value(key) else { return nil }
        guard case .number(let literal) = raw, let number = Double(literal), range.contains(number) else {
            throw SandboxConfigurationError(field: field(key), shown: raw, fix: "it must be a number in \(range.lowerBound)…\(range.upperBound)")
        }
        return number == 0 ? 0 : number
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(SandboxConfigurationError) -> Int? {
        guard let number = try number(key, in: Double(range.lowerBound)...Double(range.upperBound)) else { return nil }
        guard number == number.rounded() else {
            throw SandboxConfigurationError(field: field(key), value: "\(number)", fix: "it must be a whole number")
        }
        return Int(number)
    }

    mutating func object(_ key: String) throws(SandboxConfigurationError) -> SandboxConfigurationReader? {
        guard let raw = value(key) else { return nil }
        guard case .object(let object) = raw else { throw SandboxConfigurationError(field: field(key), shown: raw, fix: "it must be an object") }
        return SandboxConfigurationReader(object, path: field(key))
    }

    mutating func array(_ key: String) throws(SandboxConfigurationError) -> [JSONValue]? {
        guard let raw = value(key) else { return nil }
        guard case .array(let elements) = raw else { throw SandboxConfigurationError(field: field(key), shown: raw, fix: "it must be an array") }
        return elements
    }

    /// Refuses fields nobody read: a typo is an error, never ignored.
    func finish() throws(SandboxConfigurationError) {
        if let unknown = keys.first(where: { !used.contains($0) }), let raw = object[unknown] {
            throw SandboxConfigurationError(field: field(unknown), shown: raw, fix: "there is no such field; remove it")
        }
    }
}

extension SandboxConfigurationError {
    /// An error showing `value` as the user wrote it: a string as its text,
    /// anything else as compact JSON.
    init(field: String, shown value: JSONValue, fix: String) {
        if case .string(let text) = value {
            self.init(field: field, value: text, fix: fix)
        } else {
            self.init(field: field, value: JSONWriter.string(value), fix: fix)
        }
    }
}
