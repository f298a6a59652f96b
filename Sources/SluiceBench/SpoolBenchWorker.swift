import Glibc
import SluicePOSIX
import SluiceSpool
import SluiceCore

/// The worker processes `sluice bench spool` spawns (`sluice bench spool worker …`).
/// Each prints one line per event with a `CLOCK_MONOTONIC` timestamp, which
/// every process on the host shares, so the parent can time across processes.
public enum SpoolBenchWorker {
    /// Builds the index, prints `ready <ns>`, waits for `goFile`, then claims
    /// and completes until nothing is due; prints `done <count> <ns>`.
    public static func claimLoop(root: String, queue name: String, goFile: String, output: (String) -> Void) throws {
        let queue = try SpoolQueue(root: root, name: QueueName(validating: name))
        _ = try queue.nextDueAt()
        output("ready \(MonotonicClock.now())")
        while access(goFile, F_OK) != 0 { usleep(200) }
        var count = 0
        while let lease = try queue.claim() {
            try queue.complete(lease)
            count += 1
        }
        output("done \(count) \(MonotonicClock.now())")
    }

    /// Starts as a worker does on a queue (recovery, then the index), claims
    /// and completes one task, and prints `indexed <ns> <peak kB> <rss kB>`.
    public static func backlogStart(root: String, queue name: String, output: (String) -> Void) throws {
        let queue = try SpoolQueue(root: root, name: QueueName(validating: name))
        _ = try queue.recover(includingOwnLeases: true)
        _ = try queue.nextDueAt()
        let indexed = MonotonicClock.now()
        if let lease = try queue.claim() { try queue.complete(lease) }
        let memory = SpoolBenchMemory.current()
        output("indexed \(indexed) \(memory.peakResidentKB) \(memory.residentKB)")
    }
}
