import SluiceConfig
import SluiceJSON
import SluiceProviders

/// The shortest time in which a perfect limiter lets a backlog through: the
/// theoretical drain time the measured one is compared with.
///
/// A GCRA cell with rate r units/s and burst b units grants b units at once
/// and then r per second, so a backlog of U units starts within
/// `max(0, U − b) / r` seconds of its first start: burst handling is
/// exactly "the first b units are free". A queue is as slow as its slowest
/// cell: the queue's rate (U = tasks), each key's rate (U = that key's
/// tasks), each weighted limit (U = the tasks' estimated costs, as the
/// worker charges them before sending).
///
/// It counts from the first start to the last start; a measured drain runs
/// to the last settlement, one round trip (about a millisecond here) later.
struct E2EDrainTheory: Equatable {
    let seconds: Double
    /// Which cell binds: "rate", "per-key", or the weighted limit's name.
    let binding: String

    init(queue: QueueConfig, tasks: [ProviderTask]) {
        var candidates = [(Self.span(units: Double(tasks.count), burst: queue.burst, perSecond: queue.rate.perSecond), "rate")]
        if let perKey = queue.perKey {
            var perKeyCounts: [String: Int] = [:]
            for task in tasks {
                if case .string(let key)? = task.payload[perKey.field] { perKeyCounts[key, default: 0] += 1 }
            }
            let slowest = perKeyCounts.values.map { Self.span(units: Double($0), burst: perKey.burst, perSecond: perKey.rate.perSecond) }.max() ?? 0
            candidates.append((slowest, "per-key"))
        }
        let provider = Providers.make(for: queue)
        let cost = tasks.reduce(0.0) { $0 + Double(provider.estimatedCost(of: $1)) }
        for limit in queue.weighted {
            candidates.append((Self.span(units: cost, burst: limit.burst, perSecond: limit.rate.perSecond), limit.name))
        }
        let slowest = candidates.max { $0.0 < $1.0 } ?? (0, "rate")
        seconds = slowest.0
        binding = slowest.1
    }

    private static func span(units: Double, burst: UInt64, perSecond: Double) -> Double {
        perSecond.isFinite && perSecond > 0 ? max(0, units - Double(burst)) / perSecond : 0
    }
}
