import Foundation
import Glibc
import SluicePOSIX
import SluiceSpool
import SluiceTestSupport
import SluiceCore
import SluiceJSON

/// A scratch spool root for one test, with a manual clock, removed afterwards.
final class SpoolFixture: Sendable {
    let scratch: ScratchDirectory
    let clock: ManualWallClock
    var root: String { scratch.file("spool") }

    /// `inMemory`: on tmpfs, for tests of logic that sync many thousands of times.
    init(_ label: String = "spool", inMemory: Bool = false) throws {
        scratch = try ScratchDirectory(label: label, parent: inMemory ? "/dev/shm" : "/tmp")
        clock = ManualWallClock()
    }

    /// Opens `queue` with the fixture's clock.
    func queue(_ name: String = "emails", pid: Int32 = getpid(), options: SpoolOptions = SpoolOptions(),
               instants: any InstantSource = SystemInstantSource()) throws -> SpoolQueue {
        try SpoolQueue(root: root, name: QueueName(validating: name), clock: clock, pid: pid, options: options, instants: instants)
    }

    /// The names in `folder` of `queue`, sorted.
    func files(_ folder: SpoolFolder, queue: String = "emails") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(queue)/\(folder.rawValue)")) ?? []).sorted()
    }

    func path(_ folder: SpoolFolder, _ name: String, queue: String = "emails") -> String {
        "\(root)/\(queue)/\(folder.rawValue)/\(name)"
    }
}

/// A valid request for `queue` with an optional client id.
func request(_ id: String? = nil, queue: String = "emails", kind: String = "send_email", to: String = "a@example.com") throws -> TaskRequest {
    var payload = JSONObject()
    payload["to"] = .string(to)
    return try TaskRequest(id: id.map { try TaskID(validating: $0) }, queue: QueueName(validating: queue), kind: kind, payload: payload)
}

extension SpoolQueue {
    /// Enqueues and expands at once, as `sluice enqueue` does; returns the ids.
    @discardableResult
    func enqueueNow(_ requests: [TaskRequest]) throws -> [TaskID] {
        let outcomes = try enqueue(requests)
        try expandPendingBatches()
        return outcomes.map(\.id)
    }

    /// Claims every task due now.
    func claimAll() throws -> [Lease] {
        var leases: [Lease] = []
        while let lease = try claim() { leases.append(lease) }
        return leases
    }
}

extension SpoolFolder {
    /// Every folder but `spare/`, whose files are retired ones kept for reuse.
    static let holdingTasks = allCases.filter { $0 != .spare }
}
