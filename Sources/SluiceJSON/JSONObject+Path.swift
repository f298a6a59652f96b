extension JSONObject {
    /// The value at `path` (`stats.value(at: ["endpoints", "stripe"])`), or nil
    /// if a step is missing or not an object.
    public func value(at path: [String]) -> JSONValue? {
        var current = JSONValue.object(self)
        for key in path {
            guard case .object(let inner) = current, let next = inner[key] else { return nil }
            current = next
        }
        return current
    }

    /// The whole number at `path` (`stats.integer(at: ["endpoints", "stripe", "requests"])`),
    /// or nil if a step is missing, not an object, or the value is not a whole number.
    public func integer(at path: [String]) -> Int? {
        guard case .number(let literal)? = value(at: path) else { return nil }
        return Int(literal)
    }

    /// `integer(at:)` with the path written out.
    public func integer(at path: String...) -> Int? { integer(at: path) }

    /// The number at `path` as a Double, or nil.
    public func double(at path: String...) -> Double? {
        guard case .number(let literal)? = value(at: path) else { return nil }
        return Double(literal)
    }
}
