/// A queue's name, the same everywhere: the key of its limits in the
/// shared segment, its directory under the spool root, its label in metrics
/// and its segment of admin URLs.
///
/// Invariant: 1…64 characters from `a–z 0–9 -`, so it is always a safe,
/// single file-name component and reads the same in URLs and metrics.
public struct QueueName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public static let maximumLength = 64

    /// Validates `text`; the error names the field `queue` and the rule broken.
    public init(validating text: String) throws(QueueNameError) {
        guard !text.isEmpty else { throw QueueNameError(value: text, problem: "is empty; name a queue such as \"emails\"") }
        guard text.utf8.count <= Self.maximumLength else {
            throw QueueNameError(value: text, problem: "is \(text.utf8.count) characters long; the most is \(Self.maximumLength)")
        }
        guard text.utf8.allSatisfy(Self.isAllowed) else {
            throw QueueNameError(value: text, problem: "is not a queue name; use only lowercase letters, digits and \"-\"")
        }
        rawValue = text
    }

    public var description: String { rawValue }

    public static func < (lhs: QueueName, rhs: QueueName) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }
}

/// A string that is not a queue name: `queue: "Stripe" is not a queue name; use only lowercase letters, digits and "-"`.
public struct QueueNameError: Error, Equatable, CustomStringConvertible, Sendable {
    public let value: String
    /// What is wrong and how to fix it.
    public let problem: String

    public var description: String {
        let shown = value.count > 60 ? String(value.prefix(60)) + "…" : value
        return "queue: \"\(shown)\" \(problem)"
    }
}
