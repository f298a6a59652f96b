/// A JSON value, kept exactly as written where it matters.
///
/// Numbers keep their literal text (`.number("12.50")`), so a payload goes
/// through the spool byte-for-byte in meaning: no rounding through `Double`,
/// no `1.0` turning into `1`. Objects keep their members in the order written.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, already checked to be valid JSON.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A short name of the value's type, for error messages ("an array").
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object's members, in the order they were written.
///
/// Invariant: no key appears twice (the parser refuses duplicates, because
/// which one "wins" differs between JSON libraries).
public struct JSONObject: Sendable, Equatable {
    /// Set directly only inside this module, by code that keeps the invariant.
    public internal(set) var members: [Member]

    public struct Member: Sendable, Equatable {
        public let key: String
        public var value: JSONValue
    }

    public init() { members = [] }

    public var keys: [String] { members.map(\.key) }

    /// The value for `key`; setting replaces it in place or appends it.
    public subscript(key: String) -> JSONValue? {
        get { members.first { $0.key == key }?.value }
        set {
            let index = members.firstIndex { $0.key == key }
            switch (index, newValue) {
            case let (index?, value?): members[index].value = value
            case let (index?, nil): members.remove(at: index)
            case let (nil, value?): members.append(Member(key: key, value: value))
            case (nil, nil): break
            }
        }
    }
}
