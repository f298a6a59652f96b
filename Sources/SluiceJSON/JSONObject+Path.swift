extension JSONObject {
    /// The whole number at `path` (`stats.integer(at: ["endpoints", "stripe", "requests"])`),
    /// or nil if a step is missing, not an object, or the value is not a whole number.
    public func integer(at path: [String]) -> Int? {
        var current = JSONValue.object(self)
        for key in path {
            guard case .object(let inner) = current, let next = inner[key] else { return nil }
            current = next
        }
        guard case .number(let literal) = current else { return nil }
        return Int(literal)
    }

    /// `integer(at:)` with the path written out.
    public func integer(at path: String...) -> Int? { integer(at: path) }
}
