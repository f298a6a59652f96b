import Foundation
import Glibc
import SluiceSpool

/// A way for the disk to fail under an enqueue: a real full file system (a
/// small tmpfs, when the test may mount one), or a failure injected through
/// the spool's `SpoolFaults` seam at one system call.
enum DiskFault: Sendable, CustomStringConvertible {
    case fullFileSystem
    case injected(call: String, errno: Int32)

    static let all: [DiskFault] = [
        .fullFileSystem,
        .injected(call: "write", errno: ENOSPC),
        .injected(call: "write", errno: EIO),
        .injected(call: "fdatasync", errno: EIO),
        .injected(call: "rename", errno: EIO),
        .injected(call: "fsync", errno: EIO),  // after the batch is in journal/: it must be taken back out
    ]

    var description: String {
        switch self {
        case .fullFileSystem: "a full tmpfs"
        case .injected(let call, let code): "\(call) fails with \(String(cString: strerror(code)))"
        }
    }

    var errno: Int32 {
        switch self {
        case .fullFileSystem: ENOSPC
        case .injected(_, let code): code
        }
    }

    var message: String { "\(String(cString: strerror(errno))) (errno \(errno))" }
    var fix: String { errno == ENOSPC ? "free space" : "check it" }

    /// The failure seam for the failing queue (none on a real full disk).
    func options(mounted: Bool) -> SpoolOptions {
        var options = SpoolOptions()
        let (call, code): (String, Int32) = switch self {
        case .fullFileSystem: ("write", ENOSPC)
        case .injected(let call, let code): (call, code)
        }
        if case .injected = self {} else if mounted { return options }
        // Only the batch's own calls fail, as they would on a disk that just filled up.
        options.faults = SpoolFaults { name, path in name == call && (path.contains(".ndjson") || name == "fsync") ? code : nil }
        return options
    }

    /// The `attempt`th batch the test tries: on a real disk, big enough to fill it soon.
    func batch(_ attempt: Int) throws -> [TaskRequest] {
        let size = if case .fullFileSystem = self { 16 * 1024 } else { 10 }
        return try (0..<5).map { index in
            var task = try request("fill-\(attempt)-\(index)")
            task.payload["blob"] = .string(String(repeating: "x", count: size))
            return task
        }
    }

    func prepare(_ spool: SpoolFixture) throws -> TestDisk {
        guard case .fullFileSystem = self else { return TestDisk(root: spool.root, mountPoint: nil) }
        let mountPoint = spool.scratch.file("tmpfs")
        mkdir(mountPoint, 0o700)
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=512k,mode=0700") == 0 else {
            // Not allowed to mount here (not root, or a restricted container): use the seam.
            return TestDisk(root: spool.root, mountPoint: nil)
        }
        return TestDisk(root: mountPoint + "/spool", mountPoint: mountPoint)
    }
}

/// Where a disk-fault test keeps its spool; unmounts the tmpfs, if any.
struct TestDisk {
    let root: String
    let mountPoint: String?

    var mounted: Bool { mountPoint != nil }

    /// Gives the full tmpfs room again, as an operator freeing space would.
    func grow() {
        if let mountPoint { mount("tmpfs", mountPoint, "tmpfs", UInt(MS_REMOUNT), "size=64m") }
    }

    func unmount() {
        if let mountPoint { umount2(mountPoint, Int32(MNT_DETACH)) }
    }

    func snapshot(queue: String = "emails") -> [SpoolFolder: [String]] {
        var names: [SpoolFolder: [String]] = [:]
        for folder in SpoolFolder.allCases {
            names[folder] = ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(queue)/\(folder.rawValue)")) ?? []).sorted()
        }
        return names
    }
}
