import SluiceJSON

/// What a provider saw of one client: every request's arrival (µs from a
/// common zero) and the status it was answered with, as the sandbox exports
/// them (`GET /__sandbox/arrivals`). Every figure the report gives for a
/// client, Sluice or another, is computed here, the same way for all.
///
/// Windows are the provider's: a request at `t` counts in `(t − W, t]`, as the
/// sandbox counts them, so "worst window" here equals its `worstWindow`.
public struct StartTimeline: Sendable, Equatable {
    /// Arrival instants in µs, ascending.
    public let arrivals: [UInt64]
    /// The status of each arrival (0: dropped without an answer).
    public let statuses: [Int]

    public init(arrivals: [UInt64], statuses: [Int]) {
        let order = arrivals.indices.sorted { arrivals[$0] < arrivals[$1] }
        self.arrivals = order.map { arrivals[$0] }
        self.statuses = order.map { $0 < statuses.count ? statuses[$0] : 0 }
    }

    /// Reads one endpoint's `{"at": [...], "status": [...]}` of the sandbox's arrivals.
    public init(json: JSONObject) throws {
        guard case .array(let at)? = json["at"], case .array(let status)? = json["status"], at.count == status.count else {
            throw BenchError("arrivals: expected {\"at\": [...], \"status\": [...]} of equal length")
        }
        func integer(_ value: JSONValue) throws -> Int {
            guard case .number(let text) = value, let number = Int(text), number >= 0 else { throw BenchError("arrivals: \(value) is not a whole number") }
            return number
        }
        self.init(arrivals: try at.map { UInt64(try integer($0)) }, statuses: try status.map(integer))
    }

    /// Instants of the requests answered with success (2xx).
    public var successes: [UInt64] { zip(arrivals, statuses).filter { (200..<300).contains($0.1) }.map(\.0) }

    public var rateLimited: Int { statuses.filter { $0 == 429 }.count }

    /// First arrival to last success, in seconds (0 without successes).
    public var drainSeconds: Double {
        guard let first = arrivals.first, let last = successes.last else { return 0 }
        return Double(last - first) / 1e6
    }

    /// Successes after the first, per second of the drain: the pace the client kept.
    public var achievedRate: Double {
        let count = successes.count
        return drainSeconds > 0 && count > 1 ? Double(count - 1) / drainSeconds : 0
    }

    /// The most arrivals in any window `(t − width, t]`.
    public func worstWindow(width: UInt64) -> Int {
        var best = 0
        forEachWindow(width: width) { best = max(best, $0) }
        return best
    }

    /// Arrivals that found their window `(t − width, t]` (themselves included)
    /// holding more than `allowed`: the requests sent over the limit.
    public func violations(width: UInt64, allowed: Int) -> Int {
        var count = 0
        forEachWindow(width: width) { if $0 > allowed { count += 1 } }
        return count
    }

    /// Calls `body` with the count of the window ending at each arrival.
    private func forEachWindow(width: UInt64, _ body: (Int) -> Void) {
        var first = 0
        for last in arrivals.indices {
            while arrivals[last] - arrivals[first] >= width { first += 1 }
            body(last - first + 1)
        }
    }

    /// At the end of each `step` µs (`step`, `2·step`, … up to the last arrival), the arrivals (refused
    /// ones included) in the window `(end − width, end]`: the measure a provider's limit is stated in, sampled.
    public func trailingArrivals(every step: UInt64, width: UInt64) -> [(end: UInt64, count: Int)] {
        let instants = arrivals
        guard let last = instants.last, step > 0 else { return [] }
        var result: [(UInt64, Int)] = []
        var first = 0, next = 0
        var end = step
        while end < last + step {
            while next < instants.count, instants[next] <= end { next += 1 }
            while first < next, instants[first] + width <= end { first += 1 }
            result.append((end, next - first))
            end += step
        }
        return result
    }

    /// Successes per bucket of `width` µs, from 0 to the last success: `[(bucket start µs, count)]`.
    public func successesPerBucket(width: UInt64) -> [(start: UInt64, count: Int)] {
        let instants = successes
        guard let last = instants.last, width > 0 else { return [] }
        var counts = [Int](repeating: 0, count: Int(last / width) + 1)
        for instant in instants { counts[Int(instant / width)] += 1 }
        return counts.enumerated().map { (UInt64($0.offset) * width, $0.element) }
    }
}
