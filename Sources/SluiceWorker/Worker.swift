import Dispatch
import Foundation
import Glibc
import SluiceConfig
import SluiceLimiter
import SluicePOSIX
import SluiceProviders
import SluiceSpool
import Synchronization

/// One worker process's engine for one queue: claim → reserve → sleep until
/// the instant → take a fleet-wide slot → send → classify → settle → release.
///
/// Up to `maxConcurrentPerWorker` attempts are in flight at once. A task
/// never waits for rate capacity while holding a concurrency slot: the slot
/// is taken only at the reserved instant, and if none is free the
/// reservation is given back and the attempt waits without holding either.
public final class Worker: Sendable {
    public struct Parts: Sendable {
        public var store: any TaskStore
        public var limiter: QueueHandle
        public var provider: any Provider
        public var executor: HTTPExecutor
        public var credential: Secret?
        public var log: EventLog
        public var wallClock: any WallClock
        public var faults: WorkerFaults

        public init(store: any TaskStore, limiter: QueueHandle, provider: any Provider, executor: HTTPExecutor,
                    credential: Secret?, log: EventLog, wallClock: any WallClock = SystemWallClock(), faults: WorkerFaults = .none) {
            self.store = store
            self.limiter = limiter
            self.provider = provider
            self.executor = executor
            self.credential = credential
            self.log = log
            self.wallClock = wallClock
            self.faults = faults
        }
    }

    let queue: QueueConfig
    let parts: Parts
    let localLimiter: LocalLimiter?
    /// Removes the queue's credential from everything a provider wrote
    /// before it is stored or logged.
    let redactor: SecretRedactor
    /// Makes the answer kept with a finished task, through `redactor`.
    let resultCapture: ResultCapture
    /// Provider code runs through it, so a crash in it is blamed on its task.
    let providerGuard: ProviderGuard
    /// The queue's rules, as the door judges tasks (`TaskAdmission`).
    let admissionRules: AdmissionRules
    let attempts = AttemptRegistry()
    let keyDeferrals = KeyDeferrals()
    let slotWaiters = SlotWaiters()
    /// Attempts waiting for an instant granted to this host (a coordinated
    /// queue): one look every 1–2 ms, every waiter woken when one is granted.
    let grantWaiters = SlotWaiters(longestLook: 2_000_000, wakesAll: true)
    /// Where this process counts its attempts waiting for a granted instant,
    /// for the host's agent to reserve for them; nil when the queue is not
    /// coordinated (or 256 processes hold one).
    let grantWaiterEntry: GrantWaiterEntry?
    let tableFullWarnings = Occasionally(every: 10_000_000_000)
    let permits: DispatchSemaphore
    let stopping = Atomic<Bool>(false)
    let dispatcherDone = Atomic<Bool>(false)

    /// The booking horizon's bounds (see `bookingHorizon`): bookings are what
    /// a rate change, a pause, a scale-down or a killed worker strands.
    static let minimumHorizon: UInt64 = 200_000_000
    static let maximumHorizon: UInt64 = 2_000_000_000
    /// How long a task whose key found no room in the keyed table waits in the spool.
    static let keyTableFullDelay: UInt64 = 1_000_000_000
    /// How late after its reserved instant an attempt may still start when
    /// the queue has no learnt edge guard (a worker run alone; see `admit`):
    /// more than scheduling jitter, far less than a frozen process.
    static let lateStartTolerance: UInt64 = 100_000_000
    /// The relative change of the rate's interval that makes a booking be
    /// made again (see `rateMoved`).
    static let rateMoveThreshold = 0.03
    /// How often a sleeping attempt looks whether the rate changed.
    static let rateWatch: UInt64 = 100_000_000
    /// The least a keyed request may book ahead (see `reservationHorizon`).
    static let minimumKeyedHorizon: UInt64 = 20_000_000

    public init(queue: QueueConfig, parts: Parts) {
        self.queue = queue
        self.parts = parts
        self.localLimiter = queue.perWorkerRate.map { LocalLimiter(limit: GCRA.Limit(rate: $0, burst: queue.perWorkerBurst)) }
        self.permits = DispatchSemaphore(value: queue.maxConcurrentPerWorker)
        self.redactor = parts.provider.redactor(credential: parts.credential)
        self.resultCapture = ResultCapture(headerNames: queue.resultHeaders, maximumBodyBytes: queue.resultMaxBytes, redactor: redactor)
        self.providerGuard = ProviderGuard(limiter: parts.limiter, faults: parts.faults)
        self.grantWaiterEntry = parts.limiter.isCoordinated ? parts.limiter.claimGrantWaiterEntry() : nil
        self.admissionRules = AdmissionRules(queue: queue)
    }

    /// Works until `stopRequested()` turns true, then drains: attempts that
    /// have not started are released at once; attempts sending get until
    /// `shutdownTimeout` ns, then are cancelled and released. Returns when
    /// nothing is in flight.
    public func run(shutdownTimeout: UInt64, stopRequested: @escaping @Sendable () -> Bool) async {
        parts.log.info("worker.started", ("concurrency", "\(queue.maxConcurrentPerWorker)"))
        if !providerGuard.isRecording {
            parts.log.warn("worker.no_task_in_hand_entry", ("effect", "a task that crashes this worker cannot be blamed; over 256 workers on the queue"))
        }
        let dispatcher = Thread { [self] in
            dispatchLoop()
            dispatcherDone.store(true, ordering: .releasing)
        }
        dispatcher.start()
        while !stopRequested() { try? await Task.sleep(nanoseconds: 20_000_000) }
        await drain(timeout: shutdownTimeout)
    }

    private func drain(timeout: UInt64) async {
        stopping.store(true, ordering: .releasing)
        parts.log.info("worker.stopping", ("in_flight", "\(attempts.count)"), ("sending", "\(attempts.sendingCount)"))
        while !dispatcherDone.load(ordering: .acquiring) { try? await Task.sleep(nanoseconds: 5_000_000) }
        attempts.stopWaitingAttempts()
        let deadline = MonotonicClock.now() + timeout
        while attempts.count > 0, MonotonicClock.now() < deadline { try? await Task.sleep(nanoseconds: 10_000_000) }
        if attempts.count > 0 {
            parts.log.warn("worker.shutdown_timeout", ("cancelled", "\(attempts.count)"))
            attempts.cancelAll()
            while attempts.count > 0 { try? await Task.sleep(nanoseconds: 10_000_000) }
        }
        parts.executor.close()
        providerGuard.release()
        parts.log.info("worker.stopped")
    }

    /// Claims due tasks while there is room, on its own thread: the spool's
    /// waits block, and blocking the cooperative pool would stall attempts.
    private func dispatchLoop() {
        while !stopping.load(ordering: .acquiring) {
            if parts.limiter.limits.paused {
                usleep(100_000)
                continue
            }
            guard permits.wait(timeout: .now() + .milliseconds(200)) == .success else { continue }
            if stopping.load(ordering: .acquiring) {
                permits.signal()
                break
            }
            let lease: Lease?
            do {
                lease = try parts.store.claim()
            } catch {
                parts.log.error("spool.claim_failed", ("error", "\(error)"))
                permits.signal()
                usleep(200_000)
                continue
            }
            guard let lease else {
                permits.signal()
                waitForWork()
                continue
            }
            start(lease)
        }
    }

    /// Sleeps until a task may be due: a new file (inotify wakes the wait
    /// early) or the next due time, whichever comes first, at most 200 ms.
    /// A task that becomes due only by the clock passing makes no file event,
    /// so waiting for events alone would start it late.
    private func waitForWork() {
        var milliseconds: Int32 = 200
        if let due = try? parts.store.nextDueAt() {
            let now = parts.wallClock.now()
            milliseconds = due <= now ? 0 : Int32(min(200, (due - now) / 1_000_000 + 1))
        }
        if milliseconds > 0 { _ = parts.store.waitForArrivals(milliseconds: milliseconds) }
    }

    private func start(_ lease: Lease) {
        let id = attempts.begin()
        let task = Task { [self] in
            await attempt(lease, id: id)
            attempts.end(id)
            permits.signal()
        }
        attempts.attach(task, to: id)
    }
}
