import SluiceJSON
import SluicePOSIX
import SluiceTestSupport

/// One endpoint's arrivals as the sandbox recorded them, placed on this
/// host's monotonic clock so a test can judge what happened after its own
/// actions (a set-rate, a kill), at the provider.
struct SandboxArrivals {
    /// Arrival instants, CLOCK_MONOTONIC ns, in arrival order.
    let instants: [UInt64]
    /// The status answered to each (0: the connection was dropped).
    let statuses: [Int]

    /// Arrivals in [from, to).
    func count(from: UInt64, to: UInt64, status: Int? = nil) -> Int {
        zip(instants, statuses).filter { $0.0 >= from && $0.0 < to && (status == nil || $0.1 == status) }.count
    }

    /// Where the busiest window of `width` ns starts (the first arrival in it).
    func busiestWindowStart(_ width: UInt64) -> UInt64? {
        var best = 0, first = 0, start: UInt64?
        for last in instants.indices {
            while instants[last] - instants[first] >= width { first += 1 }
            if last - first + 1 > best { (best, start) = (last - first + 1, instants[first]) }
        }
        return start
    }

    /// The most arrivals in any window of `width` ns (sliding over arrivals).
    func busiestWindow(_ width: UInt64) -> Int {
        var best = 0, first = 0
        for last in instants.indices {
            while instants[last] - instants[first] >= width { first += 1 }
            best = max(best, last - first + 1)
        }
        return best
    }
}

extension FleetFixture {
    /// `GET /__sandbox/arrivals` for `endpoint` (e.g. "stripe.payment_intents").
    func arrivals(_ endpoint: String) throws -> SandboxArrivals {
        guard let response = try TestHTTPConnection.request(port: port, "GET", "/__sandbox/arrivals"), response.status == 200,
              case .object(let document) = try JSONParser.parse(response.body),
              let start = document.integer(at: ["monotonicStart"]),
              case .object(let endpoints)? = document["endpoints"], case .object(let entry)? = endpoints[endpoint],
              case .array(let at)? = entry["at"], case .array(let status)? = entry["status"] else {
            throw FixtureError("no arrivals for \(endpoint) from the sandbox")
        }
        let micros = at.compactMap { value -> UInt64? in if case .number(let text) = value { UInt64(text) } else { nil } }
        let codes = status.compactMap { value -> Int? in if case .number(let text) = value { Int(text) } else { nil } }
        return SandboxArrivals(instants: micros.map { UInt64(start) + $0 * 1_000 }, statuses: codes)
    }
}
