/// Per-call latencies in nanoseconds: exact below 4,096 ns, listed above.
///
/// Fixed-size and allocation-free on the recording path for the common
/// case, so recording does not disturb what it measures.
public struct LatencyHistogram: Sendable {
    private(set) var exact = [UInt64](repeating: 0, count: 4096)
    private(set) var large: [UInt64] = []

    public init() {}

    @inline(__always)
    public mutating func record(_ nanoseconds: UInt64) {
        if nanoseconds < 4096 { exact[Int(nanoseconds)] &+= 1 } else { large.append(nanoseconds) }
    }

    public var count: UInt64 { exact.reduce(0, +) + UInt64(large.count) }

    public mutating func merge(_ other: LatencyHistogram) {
        for index in exact.indices { exact[index] &+= other.exact[index] }
        large += other.large
    }

    /// The value at `quantile` (0…1), or 0 if empty.
    public func value(at quantile: Double) -> UInt64 {
        let total = count
        guard total > 0 else { return 0 }
        let rank = UInt64((Double(total - 1) * quantile).rounded(.up))
        var seen: UInt64 = 0
        for (value, count) in exact.enumerated() {
            seen += count
            if seen > rank { return UInt64(value) }
        }
        let sortedLarge = large.sorted()
        return sortedLarge[min(Int(rank - seen), sortedLarge.count - 1)]
    }

    /// Text form: `value count` lines, for a child to hand to its parent.
    public var serialized: String {
        let exactLines = exact.enumerated().filter { $0.element > 0 }.map { "lat \($0.offset) \($0.element)" }
        return (exactLines + large.map { "lat \($0) 1" }).joined(separator: "\n")
    }

    /// Adds what one `lat value count` line says.
    public mutating func add(line: Substring) {
        let fields = line.split(separator: " ")
        guard fields.count == 3, let value = UInt64(fields[1]), let count = UInt64(fields[2]) else { return }
        if value < 4096 { exact[Int(value)] &+= count } else { large += Array(repeating: value, count: Int(count)) }
    }
}
