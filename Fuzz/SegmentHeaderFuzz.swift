// libFuzzer target: attaching a shared-memory segment (`Coordinator.attach`,
// SluiceLimiter) whose bytes are not what a Sluice creator wrote. Built by
// scripts/fuzz.sh. Every input becomes a real POSIX shm object, then is attached.
//
// The input's first byte chooses how the segment is made:
// - even: the segment is the rest of the input, byte for byte (random bytes);
// - odd: a genuine segment of a small geometry (`Coordinator.create`, so it
//   always has the current layout, whatever its version), with the rest of
//   the input applied as patches (offset: 2 bytes, value: 1 byte) and the
//   object possibly resized: what a stale or half-written segment looks like.
//
// Properties, each a trap when violated:
// - attaching never traps, and a refusal is one of the header's own errors
//   (too small, bad magic, layout version, size, uninitialised), naming the
//   fix (--reset-shm);
// - the pure check (`SegmentHeader.validate`) gives the same answer as the
//   attach path, on the same bytes;
// - an accepted segment is exactly as large as its geometry says, and
//   listing its queues does not trap.
@testable import SluiceLimiter
import SluicePOSIX
import Glibc

private let geometries = [(1, 1, 8), (2, 4, 16), (1, 16, 8), (3, 2, 32)]
private let prefix = String(cString: getenv("SLUICE_FUZZ_SHM_PREFIX") ?? strdup("fuzz")!)
private let fleet = try! FleetName(validating: "\(prefix)-\(getpid())")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegmentHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = input.first else { return 0 }
    _ = try? Coordinator.remove(fleet: fleet)
    defer { _ = try? Coordinator.remove(fleet: fleet) }
    let segmentSize = mode & 1 == 0 ? writeRaw(input.dropFirst()) : writePatched(input.dropFirst())
    let expected = validated(size: segmentSize)
    // These two would wait `creationGrace` for a creator that never comes; the
    // pure check covers them.
    let waits = segmentSize == 0 || (segmentSize >= SegmentLayout.headerSize && magic() == 0)
    guard !waits else { return 0 }
    do {
        let coordinator = try Coordinator.attach(fleet: fleet)
        guard case .success(let layout) = expected else { violated("attach accepted what validate refused: \(expected)") }
        require(coordinator.layout == layout && layout.segmentSize == segmentSize, "attached a segment of another size")
        _ = coordinator.queues()
    } catch {
        require(Result<SegmentLayout, CoordinatorError>.failure(error) == expected, "attach says \(error), validate \(expected)")
        check(error)
    }
    return 0
}

private func check(_ error: CoordinatorError) {
    switch error {
    case .tooSmall, .badMagic, .layoutVersionMismatch, .sizeMismatch, .uninitialised: break
    default: violated("a header refusal that is not about the header: \(error)")
    }
    require(error.description.contains("--reset-shm"), "the refusal names the fix: \(error)")
}

/// The pure check on the segment's bytes as they now are.
private func validated(size: Int) -> Result<SegmentLayout, CoordinatorError> {
    guard size > 0 else {
        return Result { () throws(CoordinatorError) in
            try SegmentHeader.validate(header: UnsafeRawBufferPointer(start: nil, count: 0), actualSize: 0, fleet: fleet)
        }
    }
    let mapping = try! SharedMemoryObject.attach(name: fleet.sharedMemoryName, size: size)
    return Result { () throws(CoordinatorError) in
        try SegmentHeader.validate(header: UnsafeRawBufferPointer(start: mapping.base, count: size), actualSize: size, fleet: fleet)
    }
}

private func magic() -> UInt64 {
    let mapping = try! SharedMemoryObject.attach(name: fleet.sharedMemoryName, size: 8)
    return mapping.base.load(as: UInt64.self)
}

/// A segment holding exactly `bytes`. Returns its size.
private func writeRaw(_ bytes: ArraySlice<UInt8>) -> Int {
    guard !bytes.isEmpty else { return 0 }
    let segment = try! SharedMemoryObject.createExclusive(name: fleet.sharedMemoryName, size: bytes.count)
    bytes.withUnsafeBytes { segment.base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    return bytes.count
}

/// A genuine segment, then patched and perhaps resized. Returns its size.
private func writePatched(_ bytes: ArraySlice<UInt8>) -> Int {
    let choice = Int(bytes.first ?? 0)
    let (queues, slots, keyed) = geometries[choice % geometries.count]
    let layout = try! SegmentLayout(queueCapacity: queues, slotCapacity: slots, keyedCapacity: keyed)
    let coordinator = try! Coordinator.create(fleet: fleet, layout: layout)
    _ = try? coordinator.register(queue: .init(validating: "q\(choice % 3)"), limits: QueueLimits(rate: .unlimited))
    var size = layout.segmentSize
    let patches = Array(bytes.dropFirst())
    for start in stride(from: 0, to: patches.count - 2, by: 3) {
        let offset = (Int(patches[start]) | Int(patches[start + 1]) << 8) % size
        coordinator.base.storeBytes(of: patches[start + 2], toByteOffset: offset, as: UInt8.self)
    }
    let resize = [0, 0, 0, 0, -SegmentLayout.line, SegmentLayout.line, -size + 100, -size][(choice >> 2) % 8]
    if resize != 0 {
        size += resize
        let descriptor = shm_open(fleet.sharedMemoryName, O_RDWR, 0)
        require(descriptor >= 0 && ftruncate(descriptor, off_t(size)) == 0, "resize the segment")
        close(descriptor)
    }
    return size
}
