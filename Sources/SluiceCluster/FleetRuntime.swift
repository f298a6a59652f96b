import SluiceLimiter
import SluiceRedis

/// A queue's runtime settings as the fleet holds them in Redis (one hash per
/// queue, `ClusterKeys.runtime`): the rate an operator set, whether the queue
/// is paused, and a version that every change bumps.
///
/// Every host's agent compares the version with the one it last applied, on
/// the calls it already makes (`ScheduleScript`), and applies a different
/// record to its own segment and overrides as if the operator had acted on
/// that host. A record is the whole state, not a change: a host that missed
/// versions in between applies the latest one and is up to date.
public struct FleetRuntime: Equatable, Sendable {
    /// A rate set at runtime, with the configured rate and burst it replaced
    /// (the rule of `RuntimeOverrides`: a host whose configuration no longer
    /// says these keeps its configuration).
    public typealias RateSetting = RuntimeRate

    /// Bumped by every change written (0: the fleet never changed the queue).
    public var version: UInt64 = 0
    /// nil: no rate was set at runtime in the fleet.
    public var rate: RateSetting?
    /// nil: never paused or resumed in the fleet.
    public var paused: Bool?
    /// How many changes so far lifted the fleet's hold (a set-rate, a resume
    /// or a reset: the operator's word beats a provider's "wait"). A host that
    /// sees it move lifts its own push-back.
    public var lifts: UInt64 = 0

    public init(version: UInt64 = 0, rate: RateSetting? = nil, paused: Bool? = nil, lifts: UInt64 = 0) {
        self.version = version
        self.rate = rate
        self.paused = paused
        self.lifts = lifts
    }

    /// The fields as the scripts return them: version, rate, burst,
    /// replaced rate, replaced burst, paused, lifts (empty strings for what
    /// is not set). Nil when they do not parse: a record some other program
    /// wrote is not applied.
    init?(_ fields: ArraySlice<RESPValue>) {
        let texts = fields.map { $0.string ?? $0.integer.map(String.init) }
        guard texts.count == 7, let versionText = texts[0], let version = UInt64(versionText.isEmpty ? "0" : versionText),
              let rateText = texts[1], let burstText = texts[2], let replacedRate = texts[3], let replacedBurstText = texts[4],
              let pausedText = texts[5], let liftsText = texts[6], let lifts = UInt64(liftsText.isEmpty ? "0" : liftsText)
        else { return nil }
        self.version = version
        self.lifts = lifts
        switch pausedText {
        case "": paused = nil
        case "0": paused = false
        case "1": paused = true
        default: return nil
        }
        guard !rateText.isEmpty else { return }
        guard let rate = try? Rate(parsing: rateText), rate.interval > 0, let burst = UInt64(burstText), (1...1_000_000).contains(burst),
              let replacedBurst = UInt64(replacedBurstText), replacedBurst >= 1 else { return nil }
        self.rate = RateSetting(rate: rate, burst: burst, replacedRate: replacedRate, replacedBurst: replacedBurst)
    }
}

/// What an operator changed on this host, still to be written to Redis.
/// Changes made before it is written merge: the later one's fields win.
public struct RuntimeChange: Equatable, Sendable {
    /// nil: the rate is not changed.
    public var rate: FleetRuntime.RateSetting?
    /// nil: paused or not is not changed.
    public var paused: Bool?
    /// The change lifts the fleet's hold (set-rate, resume, reset).
    public var liftsHold = false

    public init(rate: FleetRuntime.RateSetting? = nil, paused: Bool? = nil, liftsHold: Bool = false) {
        self.rate = rate
        self.paused = paused
        self.liftsHold = liftsHold
    }

    /// This change followed by `later`.
    public func followed(by later: RuntimeChange) -> RuntimeChange {
        RuntimeChange(rate: later.rate ?? rate, paused: later.paused ?? paused, liftsHold: liftsHold || later.liftsHold)
    }
}
