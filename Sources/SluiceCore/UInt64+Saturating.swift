extension UInt64 {
    /// `self − other`, or 0 when `other` is larger: for the time left until an
    /// instant that may already have passed (read the clock once, then this).
    @inlinable
    public func subtractingSaturated(_ other: UInt64) -> UInt64 {
        self > other ? self - other : 0
    }

    /// `self + other`, or `UInt64.max` where that would overflow: for sums of
    /// numbers a task or an answer supplies, which must never trap a worker.
    @inlinable
    public func addingSaturated(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }

    /// `self × other`, or `UInt64.max` where that would overflow.
    @inlinable
    public func multipliedSaturated(by other: UInt64) -> UInt64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : product
    }
}
