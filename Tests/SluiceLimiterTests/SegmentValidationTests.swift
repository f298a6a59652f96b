import Glibc
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceLimiter
import SluiceCore

/// A segment that is not exactly ours is refused with its own error naming the
/// fix, and never reused silently.
@Suite struct SegmentValidationTests {
    let scratch = ScratchFleet("v")
    var fleet: FleetName { try! FleetName(validating: scratch.name) }

    /// Maps the segment raw, as a foreign or broken writer would.
    func tamper(_ body: (UnsafeMutableRawPointer) -> Void) throws {
        let raw = try SharedMemoryObject.attach(name: scratch.sharedMemoryName, size: SegmentLayout.headerSize)
        body(raw.base)
    }

    @Test func create_thenAttach_seesTheSameQueues() throws {
        let creator = try Coordinator.create(fleet: fleet)
        try creator.register(queue: QueueName(validating: "stripe-api"), limits: QueueLimits(rate: .unlimited))
        let attached = try Coordinator.attach(fleet: fleet)
        #expect(attached.queues().map(\.name.rawValue) == ["stripe-api"])
        #expect(attached.layout == creator.layout)
    }

    @Test func create_makesAnOwnerOnlySegment() throws {
        _ = try Coordinator.create(fleet: fleet)
        let status = try SharedMemoryObject.status(name: scratch.sharedMemoryName)
        #expect(status.mode == 0o600)
        #expect(status.ownerUID == getuid())
    }

    @Test func create_whenSegmentExists_failsButOpenAttaches() throws {
        _ = try Coordinator.create(fleet: fleet)
        #expect(throws: CoordinatorError.self) { try Coordinator.create(fleet: fleet) }
        #expect(try Coordinator.open(fleet: fleet).layout == .default)
    }

    @Test func attach_withWrongMagic_isRefusedNamingResetShm() throws {
        _ = try Coordinator.create(fleet: fleet)
        try tamper { $0.storeBytes(of: 0xDEAD_BEEF as UInt64, toByteOffset: 0, as: UInt64.self) }
        try expectRefusal(.badMagic(fleet: scratch.name))
    }

    @Test func attach_withWrongLayoutVersion_isRefused() throws {
        _ = try Coordinator.create(fleet: fleet)
        try tamper { $0.storeBytes(of: 99 as UInt32, toByteOffset: 8, as: UInt32.self) }
        try expectRefusal(.layoutVersionMismatch(fleet: scratch.name, found: 99, expected: SegmentLayout.layoutVersion))
    }

    @Test func attach_withWrongSize_isRefused() throws {
        _ = try Coordinator.create(fleet: fleet)
        let fd = shm_open(scratch.sharedMemoryName, O_RDWR, 0)
        #expect(ftruncate(fd, off_t(SegmentLayout.default.segmentSize + 4096)) == 0)
        close(fd)
        let error = try #require(throws: CoordinatorError.self) { try Coordinator.attach(fleet: fleet) }
        guard case .sizeMismatch = error else { Issue.record("expected sizeMismatch, got \(error)"); return }
        #expect(error.description.contains("--reset-shm"))
    }

    @Test func attach_withGroupOrWorldBits_isRefused() throws {
        _ = try Coordinator.create(fleet: fleet)
        let fd = shm_open(scratch.sharedMemoryName, O_RDWR, 0)
        fchmod(fd, 0o644)
        close(fd)
        try expectRefusal(.wrongMode(fleet: scratch.name, mode: 0o644))
    }

    @Test func attach_withUnreadableMode_isRefused() throws {
        _ = try Coordinator.create(fleet: fleet)
        let fd = shm_open(scratch.sharedMemoryName, O_RDWR, 0)
        fchmod(fd, 0o000)
        close(fd)
        // As root, open(2) ignores the mode, so the mode check speaks; as
        // another user, open fails with EACCES. Both refuse, naming the fix.
        let error = try #require(throws: CoordinatorError.self) { try Coordinator.attach(fleet: fleet) }
        #expect(error == .wrongMode(fleet: scratch.name, mode: 0) || error == .permissionDenied(fleet: scratch.name))
        #expect(error.description.contains("--reset-shm"))
    }

    @Test func attach_ofForeignOwner_isRefused() throws {
        _ = try Coordinator.create(fleet: fleet)
        let fd = shm_open(scratch.sharedMemoryName, O_RDWR, 0)
        defer { close(fd) }
        guard fchown(fd, 4242, 4242) == 0 else { return } // not root: cannot make a foreign segment here
        try expectRefusal(.foreignOwner(fleet: scratch.name, ownerUID: 4242, ourUID: getuid()))
    }

    @Test func attach_ofTooSmallObject_isRefused() throws {
        let fd = shm_open(scratch.sharedMemoryName, O_RDWR | O_CREAT | O_EXCL, 0o600)
        ftruncate(fd, 100)
        close(fd)
        try expectRefusal(.tooSmall(fleet: scratch.name, size: 100))
    }

    @Test func attach_ofSegmentWhoseCreatorDied_isRefusedAfterGrace() throws {
        let fd = shm_open(scratch.sharedMemoryName, O_RDWR | O_CREAT | O_EXCL, 0o600)
        ftruncate(fd, off_t(SegmentLayout.default.segmentSize)) // sized, never initialised
        close(fd)
        try expectRefusal(.uninitialised(fleet: scratch.name))
    }

    @Test func attach_ofMissingSegment_saysSo() {
        #expect(throws: CoordinatorError.segmentNotFound(fleet: scratch.name)) { try Coordinator.attach(fleet: fleet) }
    }

    @Test func open_withReset_replacesABrokenSegment() throws {
        _ = try Coordinator.create(fleet: fleet)
        try tamper { $0.storeBytes(of: 1 as UInt64, toByteOffset: 0, as: UInt64.self) }
        let fresh = try Coordinator.open(fleet: fleet, reset: true)
        #expect(fresh.queues().isEmpty)
        #expect(try Coordinator.attach(fleet: fleet).layout == .default)
    }

    /// Found by the `segment` fuzz target: a queue name length past Int.max
    /// trapped `queues()` in every process listing the fleet's queues.
    @Test func queues_withAGarbageNameLength_skipTheQueueWithoutTrapping() throws {
        let creator = try Coordinator.create(fleet: fleet)
        try creator.register(queue: QueueName(validating: "stripe-api"), limits: QueueLimits(rate: .unlimited))
        creator.base.storeBytes(of: 0x9100_0000_0000_0000 as UInt64,
                                toByteOffset: creator.layout.blockOffset(0) + SegmentLayout.Block.nameLength, as: UInt64.self)
        #expect(try Coordinator.attach(fleet: fleet).queues().isEmpty)
    }

    /// The attach path's checks on the header bytes, as a pure function (the
    /// `segment` fuzz target drives it with random bytes).
    @Test func validate_ofHeaderBytes_agreesWithAttach() throws {
        let creator = try Coordinator.create(fleet: fleet)
        let size = creator.layout.segmentSize
        let header = UnsafeRawBufferPointer(start: creator.base, count: SegmentLayout.headerSize)
        #expect(try SegmentHeader.validate(header: header, actualSize: size, fleet: fleet) == creator.layout)
        #expect(throws: CoordinatorError.sizeMismatch(fleet: scratch.name, recorded: UInt64(size), actual: size + 1, expected: size)) {
            try SegmentHeader.validate(header: header, actualSize: size + 1, fleet: fleet)
        }
        #expect(throws: CoordinatorError.tooSmall(fleet: scratch.name, size: 0)) {
            try SegmentHeader.validate(header: UnsafeRawBufferPointer(start: nil, count: 0), actualSize: 0, fleet: fleet)
        }
        let zeros = [UInt64](repeating: 0, count: SegmentLayout.headerSize / 8)
        let unwritten = zeros.withUnsafeBytes { bytes in
            Result { () throws(CoordinatorError) in try SegmentHeader.validate(header: bytes, actualSize: size, fleet: fleet) }
        }
        #expect(unwritten == .failure(.uninitialised(fleet: scratch.name)))
    }

    @Test(arguments: ["", "a/b", ".hidden", "-x", String(repeating: "f", count: 65), "sp ace", "ü"])
    func fleetName_invalid_isRefused(_ text: String) {
        #expect(throws: CoordinatorError.invalidFleetName(text)) { try FleetName(validating: text) }
    }

    @Test(arguments: ["Stripe", "a_b", "", String(repeating: "q", count: 65)])
    func queueName_invalid_isRefused(_ text: String) {
        #expect(throws: QueueNameError.self) { try QueueName(validating: text) }
    }

    private func expectRefusal(_ expected: CoordinatorError) throws {
        let error = try #require(throws: CoordinatorError.self) { try Coordinator.attach(fleet: fleet) }
        #expect(error == expected)
        #expect(error.description.contains("--reset-shm"), "names the fix: \(error)")
    }
}
