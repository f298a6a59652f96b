/// Building values in code (answers, reports), as opposed to parsing them.
///
/// Every helper here yields a value the writer turns into valid JSON that the
/// parser reads back to an equal value.
extension JSONValue {
    /// A number written in decimal: `42`, `-7`.
    public static func integer(_ value: Int) -> JSONValue { .number(String(value)) }

    /// A number written the way Swift prints a `Double`: the shortest text that
    /// reads back as the same `Double` (`0.1`, `1.0`, `1e-07`). NaN and the
    /// infinities, which JSON cannot express, become `null`.
    public static func double(_ value: Double) -> JSONValue { value.isFinite ? .number(value.description) : .null }

    /// A string, or `null` when `text` is nil.
    public static func string(orNull text: String?) -> JSONValue { text.map { .string($0) } ?? .null }

    /// An object with `pairs` as its members, in the order given; see `JSONObject.init(_:)`.
    public static func object(_ pairs: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(pairs)) }
}

extension JSONObject {
    /// An object with `pairs` as its members, in the order given.
    ///
    /// A key given twice keeps its first place and takes its last value, as
    /// assigning each pair through the subscript would, so the invariant (no
    /// key twice) holds. Linear in the number of pairs.
    public init(_ pairs: [(String, JSONValue)]) {
        self.init()
        var indexOfKey: [String: Int] = [:]
        members.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            if let index = indexOfKey[key] {
                members[index].value = value
            } else {
                indexOfKey[key] = members.count
                members.append(Member(key: key, value: value))
            }
        }
    }
}
