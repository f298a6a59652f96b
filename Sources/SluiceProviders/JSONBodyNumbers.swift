import SluiceJSON

/// Numbers a JSON body can carry to SendGrid and OpenAI. Sluice keeps a number as written, but
/// those APIs read them as doubles: a literal beyond a double's range (`1e400`, 400
/// nines) makes their parser refuse the whole body (a 400), so the door
/// refuses it, naming where it is. Underflow (`1e-400`) reads as 0 and passes.
enum JSONBodyNumbers {
    /// Refuses the first number in `value` (found at `place`) that no double holds.
    static func check(_ value: JSONValue, at place: String) throws(TaskRejected) {
        guard var path = firstOutOfRange(value) else { return }
        let literal = path.removeFirst()
        let shown = literal.utf8.count > 40 ? String(decoding: literal.utf8.prefix(40), as: UTF8.self) + "…" : literal
        throw TaskRejected("\(place)\(path.reversed().joined()): \(shown) is beyond the range of a JSON number as APIs read it "
                           + "(a double, up to about 1.8e308): send a smaller number, or a string")
    }

    /// The literal, then the path to it from the innermost step out; nil if every number fits.
    private static func firstOutOfRange(_ value: JSONValue) -> [String]? {
        switch value {
        case .number(let literal):
            guard let number = Double(literal), !number.isFinite else { return nil }
            return [literal]
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if var found = firstOutOfRange(element) { found.append("[\(index)]"); return found }
            }
            return nil
        case .object(let object):
            for member in object.members {
                if var found = firstOutOfRange(member.value) { found.append(".\(member.key)"); return found }
            }
            return nil
        case .null, .bool, .string:
            return nil
        }
    }
}
