import SluiceCluster
import SluiceConfig
import SluiceJSON

/// How one queue is limited across hosts, as describe (`GET /v1/queues/…`,
/// `sluice queue describe`) and `sluice top` show it: whether its rate is
/// the fleet's one schedule in Redis, and the host's coordinator as its
/// agent last reported (up or not and why, who this host is, the holds and
/// runtime changes exchanged with the other hosts).
///
/// Without a `coordinator` block the document's `coordinator` is null: the
/// host's segment is the whole limiter.
struct CoordinatorDescription {
    let config: CoordinatorConfig
    let status: ClusterStatus.Snapshot
    /// The queue's rate is granted from the schedule in Redis (false for a
    /// queue configured `unlimited`, which each host keeps to itself).
    let acrossHosts: Bool

    var json: JSONValue {
        let onUnavailable: (String, JSONValue) = switch config.onUnavailable {
        case .wait: ("wait", .null)
        case .share(let maxHosts): ("share", .integer(maxHosts))
        }
        return .object([
            ("acrossHosts", .bool(acrossHosts)),
            ("redis", .string("\(config.redis)")),
            ("host", .string(status.host)),
            ("up", .bool(status.up)),
            ("reason", status.up ? .null : status.reason.map(JSONValue.string) ?? .null),
            ("onUnavailable", .string(onUnavailable.0)),
            ("maxHosts", onUnavailable.1),
            ("roundTripSeconds", .double(Double(status.lastRoundTrip / 1_000) / 1e6)),
            ("holds", .object([
                ("published", .integer(Int(clamping: status.holdsPublished))),
                ("applied", .integer(Int(clamping: status.holdsApplied))),
            ])),
            ("settings", .object([
                ("written", .integer(Int(clamping: status.settingsWritten))),
                ("applied", .integer(Int(clamping: status.settingsApplied))),
            ])),
        ])
    }
}
