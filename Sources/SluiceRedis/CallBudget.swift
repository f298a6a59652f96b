import SluiceCore
import SluicePOSIX

/// One call's time: the budget it was given and the instant (CLOCK_MONOTONIC
/// nanoseconds) by which every step of it must be done.
struct CallBudget {
    let budget: Duration
    let deadline: UInt64

    init(_ budget: Duration, from start: UInt64 = MonotonicClock.now()) {
        self.budget = budget
        let (deadline, overflow) = start.addingReportingOverflow(budget.nanoseconds)
        self.deadline = overflow ? .max : deadline
    }

    /// Nanoseconds left (0 once the deadline has passed).
    var remaining: UInt64 { deadline.subtractingSaturated(MonotonicClock.now()) }

    func timedOut(_ step: RedisStep) -> RedisFailure { .timedOut(step, budget: budget) }
}
