import SluicePOSIX
import SluiceTestSupport
import Synchronization
import Testing
@testable import SluiceLimiter
import SluiceCore

/// The grant ledger: instants reserved from the fleet's one schedule, handed
/// to this host's workers. The arithmetic as a table, the segment as events.
@Suite struct GrantLedgerTests {
    static let ms: UInt64 = 1_000_000

    // A block of 5 instants numbered 10…14, at 100, 110, …, 140 ms.
    static let block = GrantLedger.Block(firstNumber: 10, firstInstant: 100 * ms, count: 5, interval: 10 * ms)

    @Test(arguments: [
        // (next, now, notBefore, expected) with slack 1 ms, maxWait 50 ms
        (10, 90 * ms, 0, GrantLedger.Step.take(startAt: 100 * ms)),          // ahead: start at its instant
        (10, 100 * ms, 0, .take(startAt: 100 * ms)),                         // exactly now
        (10, 100 * ms + ms / 2, 0, .take(startAt: 100 * ms)),                // within the slack: its instant (start at once, a little late)
        (10, 102 * ms, 0, .skip(to: 11)),                                    // past the slack: passes unused
        (10, 125 * ms, 0, .skip(to: 13)),                                    // 100, 110, 120 past: on to 130
        (12, 200 * ms, 0, .skip(to: 15)),                                    // the whole rest is past
        (10, 40 * ms, 0, .tooFar(retryAfter: 10 * ms)),                      // 60 ms ahead, 50 allowed
        (10, 90 * ms, 115 * ms, .skip(to: 12)),                              // a push-back until 115: 100 and 110 pass
        (14, 139 * ms + ms / 2, 0, .take(startAt: 140 * ms)),
    ] as [(UInt64, UInt64, UInt64, GrantLedger.Step)])
    func step_takesSkipsOrWaits(next: UInt64, now: UInt64, notBefore: UInt64, expected: GrantLedger.Step) {
        #expect(GrantLedger.step(next: next, of: Self.block, now: now, notBefore: notBefore, slack: Self.ms, maxWait: 50 * Self.ms) == expected)
    }

    @Test func slack_isNeverMoreThanTheLatenessTheEdgeGuardAllows() {
        #expect(GrantLedger.slack(interval: 10 * Self.ms, edgeGuard: 0) == 5 * Self.ms)
        #expect(GrantLedger.slack(interval: 10 * Self.ms, edgeGuard: 20 * Self.ms) == 5 * Self.ms)
        #expect(GrantLedger.slack(interval: 10 * Self.ms, edgeGuard: 400_000) == 300_000)
    }

    @Test func slack_isHalfAnIntervalBetweenOneAndFiveMilliseconds() {
        #expect(GrantLedger.slack(interval: 500_000) == Self.ms)        // 2,000/s
        #expect(GrantLedger.slack(interval: 4 * Self.ms) == 2 * Self.ms)
        #expect(GrantLedger.slack(interval: 1_000 * Self.ms) == 5 * Self.ms)
    }

    // MARK: In the segment

    let scratch = ScratchFleet("g")
    let clock = ManualClock()

    func coordinatedQueue(key: Bool = false) throws -> QueueHandle {
        let coordinator = try Coordinator.create(fleet: FleetName(validating: scratch.name), clock: clock)
        let limits = QueueLimits(rate: GCRA.Limit(rate: try Rate(parsing: "100/s"), burst: 1),
                                 perKey: key ? GCRA.Limit(rate: try Rate(parsing: "1/s"), burst: 1) : nil)
        let queue = try coordinator.register(queue: QueueName(validating: "q"), limits: limits)
        queue.setCoordinated(true)
        return queue
    }

    @Test func coordinatedQueue_grantsOnlyPublishedInstants_neverItsOwnRate() throws {
        let queue = try coordinatedQueue()
        #expect(queue.reserve(maxWait: 1_000 * Self.ms) == .awaitingGrant, "nothing granted: nothing admitted")
        let now = clock.now()
        #expect(queue.publishGrant(firstInstant: now + 20 * Self.ms, count: 3, interval: 10 * Self.ms))
        let starts = (0..<4).map { _ in queue.reserve(maxWait: 1_000 * Self.ms) }
        #expect(starts == [.granted(startAt: now + 20 * Self.ms), .granted(startAt: now + 30 * Self.ms),
                           .granted(startAt: now + 40 * Self.ms), .awaitingGrant])
    }

    @Test func pastInstants_passUnused_andAreCounted() throws {
        let queue = try coordinatedQueue()
        let now = clock.now()
        queue.publishGrant(firstInstant: now, count: 10, interval: 10 * Self.ms)
        #expect(queue.grantsAhead(now: now).count == 10)
        clock.advance(by: 57 * Self.ms)  // 50 is 7 ms past, beyond the 5 ms slack
        #expect(queue.grantsAhead(now: clock.now()).count == 4)
        #expect(queue.reserve(maxWait: 1_000 * Self.ms) == .granted(startAt: now + 60 * Self.ms))
        #expect(queue.grantsPassedUnused == 6)
        clock.advance(by: 6 * Self.ms)                       // 70 is 3 ms ahead; then 70 is 3 ms past: within the slack
        clock.advance(by: 6 * Self.ms)
        #expect(queue.reserve(maxWait: 1_000 * Self.ms) == .granted(startAt: now + 70 * Self.ms), "the granted instant, a little past")
    }

    @Test func givenBackInstant_isTheNextOneClaimed() throws {
        let queue = try coordinatedQueue()
        let now = clock.now()
        queue.publishGrant(firstInstant: now + 10 * Self.ms, count: 2, interval: 10 * Self.ms)
        let (first, ticket) = queue.reserveTicket(maxWait: 1_000 * Self.ms)
        #expect(first == .granted(startAt: now + 10 * Self.ms))
        ticket.giveBack()
        #expect(queue.reserve(maxWait: 1_000 * Self.ms) == .granted(startAt: now + 10 * Self.ms))
    }

    @Test func keyedRequest_takesItsKeyAtTheGrantedInstant_orGivesTheInstantBack() throws {
        let queue = try coordinatedQueue(key: true)
        let now = clock.now()
        queue.publishGrant(firstInstant: now + 10 * Self.ms, count: 3, interval: 10 * Self.ms)
        #expect(queue.reserve(key: "+1555", maxWait: 100 * Self.ms) == .granted(startAt: now + 10 * Self.ms))
        // The key allows its next request only a second later: the instant goes back unused by it…
        guard case .keyBusy = queue.reserve(key: "+1555", maxWait: 100 * Self.ms) else {
            Issue.record("the busy key was admitted")
            return
        }
        // …and another key gets it.
        #expect(queue.reserve(key: "+1666", maxWait: 100 * Self.ms) == .granted(startAt: now + 20 * Self.ms))
    }

    @Test func setCoordinated_discardsWhatAnEarlierAgentGranted() throws {
        let queue = try coordinatedQueue()
        queue.publishGrant(firstInstant: clock.now() + Self.ms, count: 5, interval: Self.ms)
        queue.setCoordinated(true)
        #expect(queue.reserve(maxWait: 1_000 * Self.ms) == .awaitingGrant)
        queue.setCoordinated(false)
        #expect(queue.reserve(maxWait: 1_000 * Self.ms) == .granted(startAt: clock.now()), "its own cell again")
    }

    @Test func fullRing_refusesABlockWhileEveryHeldBlockHasInstantsToCome() throws {
        let queue = try coordinatedQueue()
        let now = clock.now()
        for index in 0..<UInt64(GrantLedger.ringCapacity) {
            #expect(queue.publishGrant(firstInstant: now + index * 10 * Self.ms, count: 1, interval: 10 * Self.ms))
        }
        #expect(!queue.publishGrant(firstInstant: now + Self.ms * 1_000, count: 1, interval: 10 * Self.ms))
        _ = queue.reserve(maxWait: 1_000 * Self.ms)
        #expect(queue.publishGrant(firstInstant: now + Self.ms * 1_000, count: 1, interval: 10 * Self.ms), "the oldest block was claimed")
    }

    @Test func coordinatedQueueSetUnlimited_grantsAtOnce_needingNoSchedule() throws {
        let queue = try coordinatedQueue()
        try queue.updateLimits { $0.rate = .unlimited }
        #expect(queue.reserve(maxWait: 0) == .granted(startAt: clock.now()))
    }

    @Test func threadsRacingForInstants_claimEachExactlyOnce() throws {
        let queue = try coordinatedQueue()
        let now = clock.now()
        for block in 0..<UInt64(8) {
            queue.publishGrant(firstInstant: now + Self.ms + block * 1_000 * Self.ms, count: 250, interval: 4 * Self.ms)
        }
        let claimed = Mutex<[UInt64]>([])
        let threads = (0..<8).map { _ in
            PosixThread.start {
                var mine: [UInt64] = []
                while case .granted(let startAt) = queue.reserve(maxWait: .max / 4) { mine.append(startAt) }
                claimed.withLock { $0 += mine }
            }
        }
        for thread in threads { thread.join() }
        let instants = claimed.withLock { $0 }
        #expect(instants.count == 2_000 && Set(instants).count == 2_000, "every instant once, none twice")
        #expect(queue.reserve(maxWait: .max / 4) == .awaitingGrant)
    }

    @Test func waitingAttempts_ofLiveProcessesAreCounted() throws {
        let queue = try coordinatedQueue()
        let entry = try #require(queue.claimGrantWaiterEntry())
        queue.changeWaiting(entry, by: 1)
        queue.changeWaiting(entry, by: 1)
        #expect(queue.attemptsWaitingForGrants == 2)
        queue.changeWaiting(entry, by: -2)
        #expect(queue.attemptsWaitingForGrants == 0)
    }
}
