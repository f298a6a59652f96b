import Synchronization

/// The booking of a request handed to the executor. Its gate may replace it
/// from the pool's thread (a request found too late there books a new
/// instant: `Worker.rebookAtGate`) while the attempt awaits the result; the
/// attempt reads what it ended with once the executor answers.
final class HeldBooking: Sendable {
    private let booking: Mutex<Worker.Booking>

    init(_ booking: Worker.Booking) { self.booking = Mutex(booking) }

    var current: Worker.Booking { booking.withLock { $0 } }

    /// Replaces the booking with the first of what `body` returns, given the
    /// one held; returns the second.
    func replace<Answer>(_ body: (Worker.Booking) -> (Worker.Booking, Answer)) -> Answer {
        booking.withLock { held in
            let (next, answer) = body(held)
            held = next
            return answer
        }
    }
}
