import Foundation

/// Reads a decoded JSON object field by field, so every error names the
/// field's full path, its value and the fix, and unknown fields are refused.
struct JSONObjectReader {
    let path: String
    private let object: [String: Any]
    private var used: Set<String> = []

    init(_ object: [String: Any], path: String) {
        self.object = object
        self.path = path
    }

    /// Parses `bytes` as a JSON object.
    init(parsing bytes: [UInt8], path: String) throws(SandboxConfigurationError) {
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes)), let object = value as? [String: Any] else {
            throw SandboxConfigurationError(field: path, value: String(decoding: bytes.prefix(80), as: UTF8.self),
                                            fix: "it must be a JSON object, like {\"errorRatio\": 0.1}")
        }
        self.init(object, path: path)
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var keys: [String] { Array(object.keys).sorted() }

    mutating func value(_ key: String) -> Any? {
        used.insert(key)
        return object[key]
    }

    mutating func string(_ key: String) throws(SandboxConfigurationError) -> String? {
        guard let raw = value(key) else { return nil }
        guard let text = raw as? String else { throw SandboxConfigurationError(field: field(key), value: "\(raw)", fix: "it must be a string") }
        return text
    }

    mutating func number(_ key: String, in range: ClosedRange<Double>) throws(SandboxConfigurationError) -> Double? {
        guard let raw = value(key) else { return nil }
        guard let number = JSONNumber.double(raw), range.contains(number) else {
            throw SandboxConfigurationError(field: field(key), value: "\(raw)", fix: "it must be a number in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(SandboxConfigurationError) -> Int? {
        guard let number = try number(key, in: Double(range.lowerBound)...Double(range.upperBound)) else { return nil }
        guard number == number.rounded() else {
            throw SandboxConfigurationError(field: field(key), value: "\(number)", fix: "it must be a whole number")
        }
        return Int(number)
    }

    mutating func object(_ key: String) throws(SandboxConfigurationError) -> JSONObjectReader? {
        guard let raw = value(key) else { return nil }
        guard let object = raw as? [String: Any] else { throw SandboxConfigurationError(field: field(key), value: "\(raw)", fix: "it must be an object") }
        return JSONObjectReader(object, path: field(key))
    }

    mutating func array(_ key: String) throws(SandboxConfigurationError) -> [Any]? {
        guard let raw = value(key) else { return nil }
        guard let array = raw as? [Any] else { throw SandboxConfigurationError(field: field(key), value: "\(raw)", fix: "it must be an array") }
        return array
    }

    /// Refuses fields nobody read: a typo is an error, never ignored.
    func finish() throws(SandboxConfigurationError) {
        if let unknown = object.keys.sorted().first(where: { !used.contains($0) }) {
            throw SandboxConfigurationError(field: field(unknown), value: "\(object[unknown] ?? "")", fix: "there is no such field; remove it")
        }
    }
}

/// A sandbox configuration or fault plan that cannot be used as written.
/// Its description names the field, the value and the fix.
public struct SandboxConfigurationError: Error, Equatable, CustomStringConvertible, Sendable {
    public let field: String
    public let value: String
    public let fix: String

    public init(field: String, value: String, fix: String) {
        self.field = field
        self.value = value
        self.fix = fix
    }

    public var description: String { "\(field.isEmpty ? "" : field + ": ")\"\(value)\" is not accepted: \(fix)" }

    /// The same error, under `field`.
    func at(_ field: String) -> SandboxConfigurationError {
        SandboxConfigurationError(field: field, value: value, fix: fix)
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
