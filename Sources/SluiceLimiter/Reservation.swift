/// The coordinator's answer to "when may this request start?".
public enum Reservation: Equatable, Sendable {
    /// Start at `startAt` (CLOCK_MONOTONIC ns; now or later, except a
    /// coordinated queue's granted instant, which may be a few ms past: start
    /// at once). The capacity is already taken: not starting wastes it, it is
    /// never given to someone else.
    case granted(startAt: UInt64)
    /// The start would be more than `maxWait` away; asking again after
    /// `retryAfter` ns with the same `maxWait` would be granted, all else equal.
    case denied(retryAfter: UInt64)
    /// The request's key, by its own limit, will not allow it within
    /// `maxWait` (whatever the queue's other cells say): asking again after
    /// `retryAfter` ns with the same `maxWait` would be granted, all else
    /// equal. Unlike `denied`, waiting in line does not help the queue: a
    /// worker gives the task back to the spool for that long.
    case keyBusy(retryAfter: UInt64)
    /// The queue is paused: nothing is granted until it is resumed.
    case paused
    /// The request's cost exceeds a weighted limit's burst: it can never fit.
    case costExceedsBurst
    /// Every position a new key may take in the keyed table holds a live key;
    /// ask again later (the table is sized in `SegmentLayout.keyedCapacity`).
    case keyTableFull
    /// The queue is coordinated across hosts and no start instant granted to
    /// this host is left: wait until the host's agent reserves more (the
    /// agent reserves for waiting attempts; see `changeWaiting`).
    case awaitingGrant
}
