import Glibc
import SluicePOSIX
import SluiceTestSupport
import Testing
@testable import SluiceLimiter
import SluiceCore

/// The coordinator in one process, on a manual clock: its decisions as events.
@Suite struct CoordinatorTests {
    let scratch = ScratchFleet("c")
    let clock = ManualClock()
    static let second: UInt64 = 1_000_000_000

    func coordinator(layout: SegmentLayout = .default) throws -> Coordinator {
        try Coordinator.create(fleet: FleetName(validating: scratch.name), layout: layout, clock: clock)
    }

    func queue(_ limits: QueueLimits, layout: SegmentLayout = .default) throws -> QueueHandle {
        try coordinator(layout: layout).register(queue: QueueName(validating: "q"), limits: limits)
    }

    func limit(_ rate: String, burst: UInt64 = 1) throws -> GCRA.Limit {
        GCRA.Limit(rate: try Rate(parsing: rate), burst: burst)
    }

    @Test func reserve_spacesCallersAtTheRate() throws {
        let queue = try queue(QueueLimits(rate: limit("10/s")))
        let now = clock.now()
        let starts = (0..<4).map { _ in queue.reserve(maxWait: Self.second) }
        #expect(starts == [0, 1, 2, 3].map { .granted(startAt: now + $0 * Self.second / 10) })
        #expect(queue.tryAcquire() == .denied(retryAfter: 4 * Self.second / 10))
        let counters = queue.counterTotals
        #expect(counters.reservations == 4 && counters.waits == 3 && counters.denials == 1)
        #expect(counters.waitNanoseconds == 6 * Self.second / 10)
    }

    @Test func pause_refusesUntilResumed() throws {
        let queue = try queue(QueueLimits(rate: .unlimited))
        try queue.setPaused(true)
        #expect(queue.tryAcquire() == .paused)
        try queue.setPaused(false)
        #expect(queue.tryAcquire() == .granted(startAt: clock.now()))
    }

    @Test func setLimits_isSeenOnTheVeryNextCall() throws {
        let queue = try queue(QueueLimits(rate: .unlimited))
        let generation = queue.limitsGeneration
        #expect(queue.tryAcquire() == .granted(startAt: clock.now()))
        try queue.updateLimits { $0.rate = try! limit("1/min") }
        #expect(queue.limitsGeneration == generation + 1)
        #expect(queue.tryAcquire() == .granted(startAt: clock.now()))
        #expect(queue.tryAcquire() == .denied(retryAfter: 60 * Self.second))
    }

    @Test func pushBack_holdsEveryoneUntilTheInstant() throws {
        let queue = try queue(QueueLimits(rate: limit("100/s", burst: 5)))
        let until = clock.now() + 3 * Self.second
        queue.pushBack(until: until)
        #expect(queue.tryAcquire() == .denied(retryAfter: 3 * Self.second))
        #expect(queue.reserve(maxWait: 10 * Self.second) == .granted(startAt: until))
        // No burst right after the push-back: the next start is one interval later.
        #expect(queue.reserve(maxWait: 10 * Self.second) == .granted(startAt: until + Self.second / 100))
        #expect(queue.pushedBackUntil == until, "callers holding earlier grants can see the hold")
        queue.pushBack(until: clock.now()) // never moves anything backwards
        #expect(queue.pushedBackUntil == until)
        #expect(queue.reserve(maxWait: 10 * Self.second) == .granted(startAt: until + 2 * Self.second / 100))
    }

    /// Found in review: a ticket given back after a push-back lowered the TAT
    /// below the push-back, and new reservations started inside it.
    @Test func pushBack_holdsEvenAfterAReservationIsGivenBack() throws {
        let queue = try queue(QueueLimits(rate: limit("1/s")))
        let now = clock.now()
        let (first, ticket) = queue.reserveTicket(maxWait: 10 * Self.second)
        #expect(first == .granted(startAt: now))
        queue.pushBack(until: now + Self.second / 2) // below the TAT: only the floor is recorded
        ticket.giveBack() // the TAT falls back below the push-back
        guard case .granted(let start) = queue.reserve(maxWait: 10 * Self.second) else { Issue.record("refused"); return }
        #expect(start >= now + Self.second / 2, "no start inside the push-back")
        guard case .denied = queue.tryAcquire() else { Issue.record("tryAcquire inside the push-back"); return }
    }

    /// Found attacking issue 12: a resume (or set-rate, or reset) with no
    /// push-back in force pulled the TAT back to now while the starts booked
    /// ahead of it stood, so new bookings fell between them: twice the rate
    /// for the booking horizon (21 in the sandbox's 1 s window of 20, 429s).
    @Test func clearPushBack_withNoPushBack_keepsTheBookingsAhead() throws {
        let queue = try queue(QueueLimits(rate: limit("10/s")))
        let now = clock.now()
        for n in 0..<5 {
            #expect(queue.reserve(maxWait: 10 * Self.second) == .granted(startAt: now + UInt64(n) * Self.second / 10))
        }
        queue.clearPushBack()
        #expect(queue.reserve(maxWait: 10 * Self.second) == .granted(startAt: now + 5 * Self.second / 10),
                "the next start follows the ones booked, not one interval from now")
    }

    @Test func perKey_limitsEachKeyAloneAndTheQueueTogether() throws {
        // Twilio: 1 message/s per sending number, the account at 10/s.
        let queue = try queue(QueueLimits(rate: limit("10/s", burst: 10), perKey: limit("1/s")))
        let now = clock.now()
        #expect(queue.tryAcquire(key: "+15550001") == .granted(startAt: now))
        #expect(queue.tryAcquire(key: "+15550002") == .granted(startAt: now))
        // The number's own limit is what refuses it: the key is busy, not the queue.
        #expect(queue.tryAcquire(key: "+15550001") == .keyBusy(retryAfter: Self.second))
        #expect(queue.reserve(key: "+15550001", maxWait: 2 * Self.second) == .granted(startAt: now + Self.second))
        #expect(queue.liveKeyCount == 2)
        #expect(queue.counterTotals.keyDeferrals == 1)
    }

    @Test func perKey_whenTheQueueNotTheKeyBlocks_isDeniedNotKeyBusy() throws {
        let queue = try queue(QueueLimits(rate: limit("10/s", burst: 2), perKey: limit("1/s")))
        let now = clock.now()
        #expect(queue.tryAcquire(key: "a") == .granted(startAt: now))
        #expect(queue.tryAcquire(key: "b") == .granted(startAt: now))
        // A fresh number, but the account's burst is spent: wait in line for the queue.
        #expect(queue.tryAcquire(key: "c") == .denied(retryAfter: Self.second / 10))
        #expect(queue.counterTotals.keyDeferrals == 0)
    }

    @Test func perKey_whenTableIsFull_saysSoAndReusesExpiredCells() throws {
        let small = try SegmentLayout(queueCapacity: 1, slotCapacity: 8, keyedCapacity: 8)
        let queue = try queue(QueueLimits(rate: .unlimited, perKey: limit("1/s")), layout: small)
        // 8 positions, each key's window is all 8: the 9th live key has no room.
        for number in 0..<8 { #expect(queue.tryAcquire(key: "n\(number)") == .granted(startAt: clock.now())) }
        #expect(queue.tryAcquire(key: "n8") == .keyTableFull)
        #expect(queue.counterTotals.keyTableFull == 1)
        // Known keys still work while full.
        #expect(queue.reserve(key: "n3", maxWait: 2 * Self.second) == .granted(startAt: clock.now() + Self.second))
        // Once a key's bucket has refilled, its cell is free for another key.
        clock.advance(by: Self.second)
        #expect(queue.tryAcquire(key: "n8") == .granted(startAt: clock.now()))
        #expect(queue.tryAcquire(key: "n8") == .keyBusy(retryAfter: Self.second))
    }

    @Test func weighted_startsAtTheLatestOfAllCells() throws {
        // OpenAI: 60 requests/min and 90,000 tokens/min.
        let queue = try queue(QueueLimits(
            rate: limit("60/min", burst: 60),
            weighted: [limit("90000/min", burst: 90_000)]
        ))
        let now = clock.now()
        #expect(queue.tryAcquire(cost: 60_000) == .granted(startAt: now))
        // 30,000 tokens left: a 40,000-token request waits for 10,000 to refill (10,000 × 666,667 ns).
        #expect(queue.reserve(cost: 40_000, maxWait: 60 * Self.second) == .granted(startAt: now + 10_000 * 666_667))
        #expect(queue.tryAcquire(cost: 100_000) == .costExceedsBurst)
        // Every cell is charged at the common start instant S: at S the request
        // cell holds 59 of 60 (the first request's unit has long refilled).
        let start = now + 10_000 * 666_667
        #expect(GCRA.remaining(tat: queue.theoreticalArrivalTime, now: start, limit: try limit("60/min", burst: 60)) == 59)
    }

    @Test func weighted_denialLeavesEveryCellUntouched() throws {
        let queue = try queue(QueueLimits(rate: limit("1/s", burst: 5), weighted: [limit("100/s", burst: 100)]))
        #expect(queue.tryAcquire(cost: 100) == .granted(startAt: clock.now()))
        let before = queue.theoreticalArrivalTime
        #expect(queue.tryAcquire(cost: 50) == .denied(retryAfter: Self.second / 2))
        #expect(queue.theoreticalArrivalTime == before)
    }

    @Test func slots_areLimitedFleetWideAndReleased() throws {
        let queue = try queue(QueueLimits(rate: .unlimited, maxConcurrent: 2))
        let first = try #require(queue.takeSlot())
        let second = try #require(queue.takeSlot())
        #expect(first != second)
        #expect(queue.takeSlot() == nil)
        #expect(queue.slotsInUse == 2 && queue.slotsHeld(by: getpid()) == 2)
        #expect(queue.release(first))
        #expect(!queue.release(first), "a slot is released once")
        #expect(queue.takeSlot() != nil)
    }

    @Test func slots_whenUnlimited_takeNothing() throws {
        let queue = try queue(QueueLimits(rate: .unlimited))
        let slot = try #require(queue.takeSlot())
        #expect(slot == .unlimited && queue.slotsInUse == 0 && queue.release(slot))
    }

    @Test func register_validatesLimitsNamingTheField() throws {
        let coordinator = try coordinator()
        let tooMany = QueueLimits(rate: .unlimited, weighted: Array(repeating: .unlimited, count: 5))
        #expect(throws: CoordinatorError.self) { try coordinator.register(queue: QueueName(validating: "q"), limits: tooMany) }
        let error = try #require(throws: CoordinatorError.self) {
            try coordinator.register(queue: QueueName(validating: "q"), limits: QueueLimits(rate: .unlimited, maxConcurrent: 5000))
        }
        #expect(error.description.contains("maxConcurrent"))
        #expect(coordinator.queues().isEmpty, "a refused registration changes nothing")
    }

    @Test func register_sameNameTwice_updatesInPlace() throws {
        let coordinator = try coordinator()
        let first = try coordinator.register(queue: QueueName(validating: "q"), limits: QueueLimits(rate: .unlimited))
        let second = try coordinator.register(queue: QueueName(validating: "q"), limits: QueueLimits(rate: limit("1/s")))
        #expect(first == second && coordinator.queues().count == 1)
        #expect(first.limits.rate == (try limit("1/s")))
    }

    @Test func register_beyondCapacity_isRefused() throws {
        let coordinator = try coordinator(layout: try SegmentLayout(queueCapacity: 2, slotCapacity: 8, keyedCapacity: 8))
        for name in ["a", "b"] { try coordinator.register(queue: QueueName(validating: name), limits: QueueLimits(rate: .unlimited)) }
        #expect(throws: CoordinatorError.queueTableFull(capacity: 2)) {
            try coordinator.register(queue: QueueName(validating: "c"), limits: QueueLimits(rate: .unlimited))
        }
    }

    @Test func acquire_whenCancelled_givesTheReservationBack() async throws {
        let real = try Coordinator.create(fleet: FleetName(validating: scratch.name))
        // One a minute: the waiter below sleeps ~60 s, so it is surely asleep when cancelled.
        let queue = try real.register(queue: QueueName(validating: "q"), limits: QueueLimits(rate: limit("1/min")))
        guard case .granted = queue.tryAcquire() else { Issue.record("the first start was refused"); return }
        let tatBefore = queue.theoreticalArrivalTime
        let waiter = Task { try await queue.acquire(maxWait: 120 * Self.second) }
        // Polled with `await`, never by blocking this thread: the waiter needs
        // a thread of the cooperative pool (two on two cores) to reserve, and
        // a blocked test thread starved it while other suites ran alongside.
        var reserved = false
        for _ in 0..<3_000 where !reserved {
            reserved = queue.theoreticalArrivalTime > tatBefore
            if !reserved { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        #expect(reserved, "the waiter reserved")
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(queue.theoreticalArrivalTime == tatBefore, "the cancelled reservation was given back")
    }
}
