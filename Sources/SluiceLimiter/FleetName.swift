/// The name of a fleet: one shared-memory segment, `/dev/shm/sluice.<fleet>`.
///
/// Invariant: 1…64 characters from `A–Z a–z 0–9 . _ -`, not starting with `.`
/// or `-`. So it has no `/` (shm_open(3) names hold exactly one, leading),
/// and fits well inside NAME_MAX.
public struct FleetName: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public static let maximumLength = 64

    public init(validating text: String) throws(CoordinatorError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.maximumLength,
              bytes[0] != UInt8(ascii: "."), bytes[0] != UInt8(ascii: "-"),
              bytes.allSatisfy(Self.isAllowed) else {
            throw .invalidFleetName(text)
        }
        rawValue = text
    }

    /// The POSIX shared-memory name, e.g. `/sluice.default`.
    public var sharedMemoryName: String { "/sluice.\(rawValue)" }

    public var description: String { rawValue }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
