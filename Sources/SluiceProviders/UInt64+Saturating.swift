extension UInt64 {
    /// `self + other`, or `UInt64.max` where that would overflow: for sums of
    /// numbers a task or an answer supplies, which must never trap a worker.
    @inlinable
    public func addingSaturated(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
