import SluiceLimiter

/// Writes the Prometheus text exposition format, version 0.0.4.
///
/// Invariants the format needs and promtool does not all check: every family
/// has HELP and TYPE before its samples and appears once; label values are
/// escaped (`\`, `"`, newline); histogram buckets are cumulative, end with
/// `le="+Inf"` equal to `_count`; the text ends with a newline.
struct PrometheusText {
    private(set) var text = ""
    private var families: Set<String> = []

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    enum Kind: String {
        case counter, gauge, histogram
    }

    /// Starts a family. Each name may start only one family.
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        precondition(families.insert(name).inserted, "metric family \(name) written twice")
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + Self.format(value) + "\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: UInt64) {
        sample(name, labels, Double(value))
    }

    /// A histogram's samples (the family must be started): cumulative
    /// buckets in seconds, `_sum` in seconds, `_count`.
    mutating func histogram(_ name: String, _ labels: [(String, String)], _ histogram: LatencyHistogram) {
        var cumulative: UInt64 = 0
        for (bucket, count) in histogram.counts.enumerated() {
            cumulative &+= count
            let bound = bucket < LatencyHistogram.bounds.count ? Self.format(Double(LatencyHistogram.bounds[bucket]) / 1e9) : "+Inf"
            sample(name + "_bucket", labels + [("le", bound)], cumulative)
        }
        sample(name + "_sum", labels, Double(histogram.sumNanoseconds) / 1e9)
        sample(name + "_count", labels, cumulative)
    }

    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Integers without a fraction (exact up to 2⁵³), others in Swift's
    /// shortest round-tripping form, which Prometheus parses.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9.007_199_254_740_992e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
