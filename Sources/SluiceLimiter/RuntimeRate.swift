/// A rate set at runtime (`queue set-rate`), with the configured rate and
/// burst it replaced. Kept with the replaced values because the
/// configuration may be edited later: an override applies only while the
/// configuration still says what it replaced (a newer edit is the newer
/// decision). One shape for the local overrides file and the fleet's
/// record in Redis.
public struct RuntimeRate: Equatable, Sendable {
    public var rate: Rate
    public var burst: UInt64
    /// The configured rate (as written) and burst when the rate was set.
    public var replacedRate: String
    public var replacedBurst: UInt64

    public init(rate: Rate, burst: UInt64, replacedRate: String, replacedBurst: UInt64) {
        self.rate = rate
        self.burst = burst
        self.replacedRate = replacedRate
        self.replacedBurst = replacedBurst
    }
}
