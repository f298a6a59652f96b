import SluiceLimiter

/// Writes the Prometheus text exposition format, version 0.0.4.
///
/// Invariants the format needs and promtool does not all check: every family
/// has HELP and TYPE before its samples and appears once; label values are
/// escaped (`\`, `"`, newline); histogram buckets are cumulative, end with
/// `le="+Inf"` equal to `_count`; the text ends with a newline.
///
/// Built for a page rendered on every scrape: labels are escaped once per
/// series set (`Labels`), and samples are appended without intermediate arrays.
struct PrometheusText {
    /// The page so far, as UTF-8.
    private(set) var bytes: [UInt8] = []
    private var families: Set<String> = []

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    var text: String { String(decoding: bytes, as: UTF8.self) }

    enum Kind: String {
        case counter, gauge, histogram
    }

    /// A set of labels, rendered and escaped once: `queue="stripe-api"`.
    struct Labels {
        let rendered: [UInt8]

        init(_ pairs: [(String, String)]) {
            rendered = Array(pairs.map { "\($0.0)=\"\(PrometheusText.escape($0.1))\"" }.joined(separator: ",").utf8)
        }
    }

    init() { bytes.reserveCapacity(64 << 10) }

    /// Starts a family. Each name may start only one family.
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        precondition(families.insert(name).inserted, "metric family \(name) written twice")
        append("# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n")
    }

    mutating func sample(_ name: String, _ labels: Labels, _ value: UInt64) {
        head(name, labels, nil)
        appendDecimal(value)
        bytes.append(0x0A)
    }

    /// One sample with one more label than `labels` (its value must need no escaping).
    mutating func sample(_ name: String, _ labels: Labels, _ extra: (String, String), _ value: UInt64) {
        head(name, labels, extra)
        appendDecimal(value)
        bytes.append(0x0A)
    }

    mutating func sample(_ name: String, _ labels: Labels, _ value: Double) {
        head(name, labels, nil)
        append(Self.format(value))
        bytes.append(0x0A)
    }

    private mutating func head(_ name: String, _ labels: Labels, _ extra: (String, String)?) {
        append(name)
        // A fleet-wide sample has no labels: `name value`, not `name{} value`.
        if labels.rendered.isEmpty && extra == nil {
            bytes.append(UInt8(ascii: " "))
            return
        }
        bytes.append(UInt8(ascii: "{"))
        bytes.append(contentsOf: labels.rendered)
        if let (key, value) = extra {
            if !labels.rendered.isEmpty { bytes.append(UInt8(ascii: ",")) }
            append(key)
            bytes.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "\"")])
            append(value)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(contentsOf: [UInt8(ascii: "}"), UInt8(ascii: " ")])
    }

    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// `value` in decimal, written in place (no String in between).
    private mutating func appendDecimal(_ value: UInt64) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        rest = value
        for index in stride(from: start + digits - 1, through: start, by: -1) {
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
    }

    /// `le` values of the latency buckets, in seconds, formatted once.
    private static let bucketBounds: [String] = labels(LatencyHistogram.bounds)
    private static let finerBucketBounds: [String] = labels(LatencyHistogram.finerBounds)
    private static func labels(_ bounds: [UInt64]) -> [String] { bounds.map { format(Double($0) / 1e9) } + ["+Inf"] }

    /// A histogram's samples (the family must be started): cumulative
    /// buckets in seconds, `_sum` in seconds, `_count`.
    mutating func histogram(_ name: String, _ labels: Labels, _ histogram: LatencyHistogram) {
        let bucket = name + "_bucket"
        var cumulative: UInt64 = 0
        let bounds = histogram.bucketBounds == LatencyHistogram.finerBounds ? Self.finerBucketBounds
            : histogram.bucketBounds == LatencyHistogram.bounds ? Self.bucketBounds : Self.labels(histogram.bucketBounds)
        for (index, count) in histogram.counts.enumerated() {
            cumulative &+= count
            sample(bucket, labels, ("le", bounds[index]), cumulative)
        }
        sample(name + "_sum", labels, Double(histogram.sumNanoseconds) / 1e9)
        sample(name + "_count", labels, cumulative)
    }

    static func escape(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
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
