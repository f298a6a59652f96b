extension UInt64 {
    /// `self − other`, or 0 when `other` is larger: for the time left until an
    /// instant that may already have passed (read the clock once, then this).
    @inlinable
    public func subtractingSaturated(_ other: UInt64) -> UInt64 {
        self > other ? self - other : 0
    }
}
