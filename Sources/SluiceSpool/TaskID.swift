/// A task's identifier: chosen by the client (for idempotent enqueue) or generated.
///
/// Invariant: 1…255 characters from `A–Z a–z 0–9 - _ . :`, not starting with
/// `.`, so an id is always a safe single file-name component.
public struct TaskID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public static let maximumLength = 255

    /// Validates a client-chosen id; the error says what is wrong with it.
    public init(validating text: String) throws(TaskIDError) {
        guard !text.isEmpty else { throw TaskIDError(text, "it is empty") }
        guard text.utf8.count <= Self.maximumLength else {
            throw TaskIDError(text, "it is \(text.utf8.count) bytes long; the most is \(Self.maximumLength)")
        }
        guard text.utf8.first != UInt8(ascii: ".") else { throw TaskIDError(text, "it starts with \".\"") }
        guard text.utf8.allSatisfy(Self.isAllowed) else {
            throw TaskIDError(text, "use only letters, digits and - _ . :")
        }
        rawValue = text
    }

    /// A fresh random id (128 bits, hex), unique without coordination.
    public static func generate() -> TaskID {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        let hex = String(high, radix: 16).leftPadded(to: 16) + String(low, radix: 16).leftPadded(to: 16)
        // Known-valid by construction: hex digits only.
        return TaskID(trusted: hex)
    }

    private init(trusted: String) { rawValue = trusted }

    public var description: String { rawValue }

    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"):
            true
        default:
            false
        }
    }
}

/// An id that is not a valid task id; names the field and the rule.
public struct TaskIDError: Error, Equatable, CustomStringConvertible, Sendable {
    public let value: String
    public let reason: String

    init(_ value: String, _ reason: String) {
        self.value = value
        self.reason = reason
    }

    public var description: String {
        let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
        return "id: \"\(shown)\" is not a valid task id: \(reason)"
    }
}

extension String {
    func leftPadded(to length: Int, with pad: Character = "0") -> String {
        count >= length ? self : String(repeating: pad, count: length - count) + self
    }
}
