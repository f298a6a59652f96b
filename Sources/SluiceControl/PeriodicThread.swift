import Glibc
import SluicePOSIX
import Synchronization

/// A thread that runs `body` every `interval` ns until stopped: the
/// control plane's samplers (backlog counts, rate learning) tick on one each.
/// It sleeps in short steps, so `stop()` returns within `step` ns.
final class PeriodicThread: Sendable {
    private let interval: UInt64
    private let step: UInt32
    private let body: @Sendable () -> Void
    private let stopped = Atomic<Bool>(false)
    private let thread = Mutex<PosixThread?>(nil)

    init(every interval: UInt64, step microseconds: UInt32, _ body: @escaping @Sendable () -> Void) {
        self.interval = interval
        step = microseconds
        self.body = body
    }

    func start() {
        let started = PosixThread.start { [self] in
            while !stopped.load(ordering: .acquiring) {
                let until = MonotonicClock.now() + interval
                while MonotonicClock.now() < until, !stopped.load(ordering: .acquiring) { usleep(step) }
                if !stopped.load(ordering: .acquiring) { body() }
            }
        }
        thread.withLock { $0 = started }
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        thread.withLock { thread in
            thread?.join()
            thread = nil
        }
    }
}
