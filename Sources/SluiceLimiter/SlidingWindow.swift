/// Counts starts in sliding windows: the measure the limiter's promise is stated in.
///
/// The promise: in every window of `W` nanoseconds, at most `rate·W + burst`
/// requests start. Windows are closed (`[t, t + W]`, both ends included), the
/// stricter reading.
public enum SlidingWindow {
    /// The largest number of `instants` inside any closed window of `width` ns.
    /// Requires: `instants` sorted ascending.
    public static func maximumCount(_ instants: [UInt64], width: UInt64) -> Int {
        var best = 0
        var first = 0
        for last in instants.indices {
            while instants[last] - instants[first] > width { first += 1 }
            best = max(best, last - first + 1)
        }
        return best
    }

    /// Windows (by their first instant's index) holding more than `allowed` starts.
    public static func violations(_ instants: [UInt64], width: UInt64, allowed: Int) -> Int {
        var count = 0
        var last = 0
        for first in instants.indices {
            if last < first { last = first }
            while last + 1 < instants.count, instants[last + 1] - instants[first] <= width { last += 1 }
            if last - first + 1 > allowed { count += 1 }
        }
        return count
    }
}
