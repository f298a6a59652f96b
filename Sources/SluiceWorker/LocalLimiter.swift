import SluiceLimiter
import Synchronization

/// A worker process's own rate limit (`perWorkerRate`): a GCRA cell in
/// process memory, charged at the same instant as the shared cells.
final class LocalLimiter: Sendable {
    private let limit: GCRA.Limit
    private let tat = Mutex<UInt64>(0)

    init(limit: GCRA.Limit) { self.limit = limit }

    /// Runs `reserveShared` with the earliest instant this process allows,
    /// then charges the local cell at the instant the shared cells granted.
    /// The local cell is locked throughout, so local grants stay ordered.
    func reserve(now: UInt64, _ reserveShared: (UInt64) -> (Reservation, ReservationTicket)) -> (Reservation, ReservationTicket, LocalTicket?) {
        tat.withLock { tat in
            guard case .granted(let earliest, _) = GCRA.reserve(tat: tat, now: now, cost: 1, limit: limit, maxWait: .max) else {
                return (.costExceedsBurst, ReservationTicket.none, nil)
            }
            let (reservation, ticket) = reserveShared(earliest)
            guard case .granted(let start) = reservation, let charged = GCRA.charge(tat: tat, at: start, cost: 1, limit: limit) else {
                return (reservation, ticket, nil)
            }
            let ticketForLocal = LocalTicket(limiter: self, before: tat, after: charged)
            tat = charged
            return (reservation, ticket, ticketForLocal)
        }
    }

    /// Restores the local cell if nothing was charged after `ticket`.
    fileprivate func giveBack(_ ticket: LocalTicket) {
        tat.withLock { tat in
            if tat == ticket.after { tat = ticket.before }
        }
    }
}

/// A local charge that can be given back.
struct LocalTicket: Sendable {
    fileprivate let limiter: LocalLimiter
    fileprivate let before: UInt64
    fileprivate let after: UInt64

    func giveBack() { limiter.giveBack(self) }
}
