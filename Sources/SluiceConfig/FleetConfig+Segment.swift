import SluiceLimiter

extension FleetConfig {
    /// The shared-memory segment this configuration needs: the default, with
    /// a keyed table large enough for every per-key queue's live keys.
    ///
    /// A key's cell stays live while its bucket refills: up to its burst ×
    /// its interval after the last request (Twilio at 1/s: a second). At most
    /// the queue's rate × that many keys are live at once; the table holds
    /// twice that (its probe window fails from about half full), at least the
    /// default 4,096 and at most 2²⁰ cells per queue.
    public var segmentLayout: SegmentLayout {
        let wanted = queues.compactMap { queue -> Int? in
            guard let perKey = queue.perKey else { return nil }
            let lifetime = UInt128(perKey.rate.interval) * UInt128(perKey.burst)
            guard queue.rate.interval > 0 else { return 1 << 16 }
            let live = (lifetime + UInt128(queue.rate.interval) - 1) / UInt128(queue.rate.interval)
            return Int(min(live * 2, 1 << 20))
        }.max() ?? 0
        var capacity = SegmentLayout.default.keyedCapacity
        while capacity < wanted, capacity < 1 << 20 { capacity *= 2 }
        return (try? SegmentLayout(queueCapacity: SegmentLayout.default.queueCapacity,
                                   slotCapacity: SegmentLayout.default.slotCapacity, keyedCapacity: capacity)) ?? .default
    }
}
