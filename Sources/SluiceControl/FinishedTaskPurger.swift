import SluicePOSIX
import SluiceSpool
import Synchronization

/// Removes finished tasks past their retention (`doneRetention`,
/// `resultRetention`) once a minute, on its own thread.
///
/// Why: recovery, which also purges, runs only when the fleet starts or a
/// worker exits; a fleet that runs for months without either would keep
/// every finished task and its answer. Why its own thread: a purge lists
/// `done/`, which can hold a day of tasks; the supervisor's loop and the
/// sampler must not wait for it.
final class FinishedTaskPurger: Sendable {
    static let interval: UInt64 = 60_000_000_000
    private let spools: [SpoolQueue]
    private let log: EventLog
    private let ticker = Mutex<PeriodicThread?>(nil)

    init(spools: [SpoolQueue], log: EventLog) {
        self.spools = spools.filter { $0.options.finishedRetention > 0 }
        self.log = log
    }

    func start() {
        guard !spools.isEmpty else { return }
        let started = PeriodicThread(every: Self.interval, step: 50_000) { [self] in purgeOnce() }
        ticker.withLock { $0 = started }
        started.start()
    }

    func stop() {
        ticker.withLock { $0 }?.stop()
    }

    /// One pass over every queue; a failure is logged and tried again next pass.
    func purgeOnce() {
        for spool in spools {
            do {
                let purged = try spool.purgeFinished()
                if purged > 0 { log.debug("spool.finished_purged", ("queue", spool.name.rawValue), ("tasks", "\(purged)")) }
            } catch {
                log.warn("spool.purge_failed", ("queue", spool.name.rawValue), ("error", "\(error)"),
                         ("effect", "finished tasks past their retention stay until the next pass"))
            }
        }
    }
}
