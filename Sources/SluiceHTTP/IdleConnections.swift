/// The connections waiting, idle, for their next request (or their first),
/// oldest first. At the connection cap the oldest idle one is closed to make
/// room for a new connection, as nginx does with kept-alive connections: a
/// client that holds connections without sending anything can never lock
/// other clients, or the probes, out. (Holding them by sending slowly is
/// bounded by the read timeout, and the probes have connections of their own.)
///
/// A first-in first-out queue with lazy removal: a connection that stops
/// being idle, or closes, is only dropped from the index; its stale queue
/// entry is skipped when reached. Every operation is amortised O(1).
struct IdleConnections {
    private var queue: [(token: UInt64, mark: UInt64)] = []
    private var head = 0
    /// Token → the mark of its current idle spell.
    private var marks: [UInt64: UInt64] = [:]
    private var nextMark: UInt64 = 1

    var count: Int { marks.count }

    /// `token` is idle now (a no-op if it already was).
    mutating func noteIdle(_ token: UInt64) {
        guard marks[token] == nil else { return }
        marks[token] = nextMark
        queue.append((token, nextMark))
        nextMark += 1
        compactIfSparse()
    }

    /// `token` is busy (reading, handled, writing) or gone.
    mutating func forget(_ token: UInt64) {
        marks[token] = nil
    }

    /// Takes the connection idle the longest out of the index; nil if none is idle.
    mutating func removeOldest() -> UInt64? {
        while head < queue.count {
            let entry = queue[head]
            head += 1
            if marks[entry.token] == entry.mark {
                marks[entry.token] = nil
                return entry.token
            }
        }
        return nil
    }

    /// Drops stale entries once they outnumber live ones, so the queue stays
    /// proportional to the connections (each idle spell appends one entry).
    private mutating func compactIfSparse() {
        guard queue.count - head > 2 * marks.count + 64 else { return }
        queue = queue[head...].filter { marks[$0.token] == $0.mark }
        head = 0
    }
}
