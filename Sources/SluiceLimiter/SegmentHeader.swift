import Glibc
import SluicePOSIX
import Synchronization

/// Writing and checking the segment header: what makes a mapping a Sluice segment.
enum SegmentHeader {
    /// How long an attacher waits for a segment that is still being created.
    static let creationGrace: UInt64 = 2_000_000_000

    /// Fills in a freshly created, zeroed segment. Stores the magic last, with
    /// release ordering: an attacher that sees the magic sees every other field.
    static func initialise(_ base: UnsafeMutableRawPointer, layout: SegmentLayout, fleet: FleetName) {
        typealias H = SegmentLayout.Header
        base.storeBytes(of: SegmentLayout.layoutVersion, toByteOffset: H.layoutVersion, as: UInt32.self)
        base.storeBytes(of: UInt32(getuid()), toByteOffset: H.ownerUID, as: UInt32.self)
        base.storeBytes(of: UInt64(layout.segmentSize), toByteOffset: H.segmentSize, as: UInt64.self)
        base.storeBytes(of: UInt32(layout.queueCapacity), toByteOffset: H.queueCapacity, as: UInt32.self)
        base.storeBytes(of: UInt32(layout.slotCapacity), toByteOffset: H.slotCapacity, as: UInt32.self)
        base.storeBytes(of: UInt32(layout.keyedCapacity), toByteOffset: H.keyedCapacity, as: UInt32.self)
        base.storeBytes(of: Int64(getpid()), toByteOffset: H.creatorPID, as: Int64.self)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        base.storeBytes(of: UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec), toByteOffset: H.createdAtRealtime, as: UInt64.self)
        let name = Array(fleet.rawValue.utf8)
        name.withUnsafeBytes { (base + H.fleetName).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        base.atomicWord(at: H.magic).pointee.store(SegmentLayout.magic, ordering: .releasing)
    }

    /// Opens the fleet's segment and checks, in order: it exists and we may
    /// open it; owner uid; mode 0600; size; magic; layout version; recorded
    /// size and geometry. Each failure is its own error naming `--reset-shm`.
    static func validatedAttach(fleet: FleetName) throws(CoordinatorError) -> (SegmentLayout, SharedMemoryObject) {
        let name = fleet.sharedMemoryName
        let status = try waitForSize(fleet: fleet)
        guard status.ownerUID == getuid() else {
            throw .foreignOwner(fleet: fleet.rawValue, ownerUID: status.ownerUID, ourUID: getuid())
        }
        guard status.mode == 0o600 else { throw .wrongMode(fleet: fleet.rawValue, mode: status.mode) }
        guard status.size >= SegmentLayout.headerSize else { throw .tooSmall(fleet: fleet.rawValue, size: status.size) }
        let header = try map(name, size: SegmentLayout.headerSize)
        try waitForMagic(header.base, fleet: fleet)
        let layout = try validate(header: UnsafeRawBufferPointer(start: header.base, count: SegmentLayout.headerSize),
                                  actualSize: status.size, fleet: fleet)
        return (layout, try map(name, size: layout.segmentSize))
    }

    /// The checks on the header's bytes, a pure function of them and of the
    /// object's size: size, magic, layout version, recorded size and
    /// geometry. Any bytes at all give a layout or an error, never a trap
    /// (the `segment` fuzz target checks this).
    ///
    /// Requires: `header` holds the segment's first bytes, at least
    /// `min(actualSize, headerSize)` of them, 8-byte aligned (a mapping is).
    static func validate(header: UnsafeRawBufferPointer, actualSize: Int, fleet: FleetName) throws(CoordinatorError) -> SegmentLayout {
        guard actualSize >= SegmentLayout.headerSize, header.count >= SegmentLayout.headerSize, let base = header.baseAddress else {
            throw .tooSmall(fleet: fleet.rawValue, size: actualSize)
        }
        let magic = base.load(fromByteOffset: SegmentLayout.Header.magic, as: UInt64.self)
        guard magic == SegmentLayout.magic else {
            throw magic == 0 ? .uninitialised(fleet: fleet.rawValue) : .badMagic(fleet: fleet.rawValue)
        }
        return try readLayout(base, fleet: fleet, actualSize: actualSize)
    }

    private static func readLayout(_ base: UnsafeRawPointer, fleet: FleetName, actualSize: Int) throws(CoordinatorError) -> SegmentLayout {
        typealias H = SegmentLayout.Header
        let version = base.load(fromByteOffset: H.layoutVersion, as: UInt32.self)
        guard version == SegmentLayout.layoutVersion else {
            throw .layoutVersionMismatch(fleet: fleet.rawValue, found: version, expected: SegmentLayout.layoutVersion)
        }
        let recorded = base.load(fromByteOffset: H.segmentSize, as: UInt64.self)
        let layout = try? SegmentLayout(
            queueCapacity: Int(base.load(fromByteOffset: H.queueCapacity, as: UInt32.self)),
            slotCapacity: Int(base.load(fromByteOffset: H.slotCapacity, as: UInt32.self)),
            keyedCapacity: Int(base.load(fromByteOffset: H.keyedCapacity, as: UInt32.self))
        )
        guard let layout, UInt64(layout.segmentSize) == recorded, recorded == UInt64(actualSize) else {
            throw .sizeMismatch(fleet: fleet.rawValue, recorded: recorded, actual: actualSize, expected: layout?.segmentSize ?? -1)
        }
        return layout
    }

    /// A creator truncates the object to its size right after `O_EXCL`; an
    /// attacher racing it may briefly see size 0.
    private static func waitForSize(fleet: FleetName) throws(CoordinatorError) -> SharedMemoryObject.Status {
        let deadline = MonotonicClock.now() + creationGrace
        while true {
            let status: SharedMemoryObject.Status
            do {
                status = try SharedMemoryObject.status(name: fleet.sharedMemoryName)
            } catch where error.errno == ENOENT {
                throw .segmentNotFound(fleet: fleet.rawValue)
            } catch where error.errno == EACCES {
                throw .permissionDenied(fleet: fleet.rawValue)
            } catch {
                throw CoordinatorError(error)
            }
            if status.size > 0 || MonotonicClock.now() > deadline { return status }
            usleep(1000)
        }
    }

    /// A zero magic means "still being created"; any other wrong value is not ours.
    private static func waitForMagic(_ base: UnsafeMutableRawPointer, fleet: FleetName) throws(CoordinatorError) {
        let deadline = MonotonicClock.now() + creationGrace
        while true {
            let magic = base.atomicWord(at: SegmentLayout.Header.magic).pointee.load(ordering: .acquiring)
            if magic == SegmentLayout.magic { return }
            if magic != 0 { throw .badMagic(fleet: fleet.rawValue) }
            if MonotonicClock.now() > deadline { throw .uninitialised(fleet: fleet.rawValue) }
            usleep(1000)
        }
    }

    private static func map(_ name: String, size: Int) throws(CoordinatorError) -> SharedMemoryObject {
        do {
            return try SharedMemoryObject.attach(name: name, size: size)
        } catch where error.errno == EACCES {
            throw .permissionDenied(fleet: String(name.dropFirst("/sluice.".count)))
        } catch {
            throw CoordinatorError(error)
        }
    }
}
