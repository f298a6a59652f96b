/// Why the coordinator refused. Each description names what is wrong and the fix.
public enum CoordinatorError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidFleetName(String)
    /// No segment exists for the fleet (nothing created it yet).
    case segmentNotFound(fleet: String)
    /// The segment exists but this user may not open it.
    case permissionDenied(fleet: String)
    case foreignOwner(fleet: String, ownerUID: UInt32, ourUID: UInt32)
    case wrongMode(fleet: String, mode: UInt32)
    case tooSmall(fleet: String, size: Int)
    case badMagic(fleet: String)
    case layoutVersionMismatch(fleet: String, found: UInt32, expected: UInt32)
    case sizeMismatch(fleet: String, recorded: UInt64, actual: Int, expected: Int)
    case uninitialised(fleet: String)
    case invalidGeometry(String)
    case unknownQueue(String)
    case queueTableFull(capacity: Int)
    case invalidLimits(String)
    /// Another live process holds the segment's admin lock for too long.
    case adminLockBusy(holder: Int32)
    case system(SystemCallFailure)

    /// A failed system call, kept as plain values so the error stays `Equatable`.
    public struct SystemCallFailure: Equatable, Sendable {
        public let errno: Int32
        public let description: String
    }

    public var description: String {
        switch self {
        case .invalidFleetName(let name):
            "fleet name \"\(name)\" is not valid: use 1–64 letters, digits, '.', '_' or '-', not starting with '.' or '-'"
        case .segmentNotFound(let fleet):
            "no shared-memory segment for fleet \"\(fleet)\" (/dev/shm/sluice.\(fleet)): start the fleet with `sluice run` first"
        case .permissionDenied(let fleet):
            "shared-memory segment /dev/shm/sluice.\(fleet) cannot be opened by this user: run as its owner, or remove it with --reset-shm"
        case .foreignOwner(let fleet, let owner, let ours):
            "shared-memory segment /dev/shm/sluice.\(fleet) belongs to uid \(owner), not to us (uid \(ours)): run as its owner, or replace it with --reset-shm"
        case .wrongMode(let fleet, let mode):
            "shared-memory segment /dev/shm/sluice.\(fleet) has mode 0\(String(mode, radix: 8)), but Sluice segments are owner-only (0600): replace it with --reset-shm"
        case .tooSmall(let fleet, let size):
            "shared-memory segment /dev/shm/sluice.\(fleet) is \(size) bytes, too small to be a Sluice segment: replace it with --reset-shm"
        case .badMagic(let fleet):
            "shared-memory segment /dev/shm/sluice.\(fleet) is not a Sluice segment (bad magic): replace it with --reset-shm"
        case .layoutVersionMismatch(let fleet, let found, let expected):
            "shared-memory segment /dev/shm/sluice.\(fleet) has layout version \(found), this sluice uses \(expected): stop the old fleet, then start with --reset-shm"
        case .sizeMismatch(let fleet, let recorded, let actual, let expected):
            "shared-memory segment /dev/shm/sluice.\(fleet) is \(actual) bytes but its header says \(recorded) and its geometry needs \(expected): replace it with --reset-shm"
        case .uninitialised(let fleet):
            "shared-memory segment /dev/shm/sluice.\(fleet) was never initialised (its creator died while creating it): replace it with --reset-shm"
        case .invalidGeometry(let reason):
            "invalid segment geometry: \(reason)"
        case .unknownQueue(let name):
            "queue \"\(name)\" is not registered in this fleet's segment"
        case .queueTableFull(let capacity):
            "the segment holds at most \(capacity) queues; all are in use"
        case .invalidLimits(let reason):
            "invalid limits: \(reason)"
        case .adminLockBusy(let holder):
            "the segment's admin lock is held by live process \(holder); try again"
        case .system(let failure):
            failure.description
        }
    }
}
