import Foundation
import SluiceTestSupport

/// A parsed Prometheus text page, and the checks promtool does not make:
/// one HELP and TYPE per family before its samples, no duplicate series,
/// histogram buckets cumulative with `+Inf` equal to `_count`.
struct Exposition {
    struct Sample: Hashable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let samples: [Sample]
    let problems: [String]

    init(_ text: String) {
        var samples: [Sample] = []
        var problems: [String] = []
        var types: [String: String] = [:]
        var helps: Set<String> = []
        var series: Set<String> = []
        if !text.hasSuffix("\n") { problems.append("the page does not end with a newline") }
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let name = String(line.dropFirst(7).split(separator: " ")[0])
                if !helps.insert(name).inserted { problems.append("HELP twice for \(name)") }
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                if types[String(parts[0])] != nil { problems.append("TYPE twice for \(parts[0])") }
                types[String(parts[0])] = String(parts[1])
                continue
            }
            guard let sample = Self.parse(String(line)) else {
                problems.append("unparsable line: \(line)")
                continue
            }
            let family = Self.family(of: sample.name, types: types)
            if types[family] == nil || !helps.contains(family) { problems.append("\(sample.name) has no HELP/TYPE before it") }
            let key = sample.name + "{" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
            if !series.insert(key).inserted { problems.append("duplicate series \(key)") }
            samples.append(sample)
        }
        // Histograms: buckets cumulative, +Inf == _count.
        for (family, type) in types where type == "histogram" {
            let buckets = samples.filter { $0.name == family + "_bucket" }
            let groups = Dictionary(grouping: buckets) { $0.labels.filter { $0.key != "le" } }
            for (labels, group) in groups {
                let ordered = group.sorted { (Double($0.labels["le"]!) ?? .infinity) < (Double($1.labels["le"]!) ?? .infinity) }
                for (earlier, later) in zip(ordered, ordered.dropFirst()) where later.value < earlier.value {
                    problems.append("\(family) buckets decrease at le=\(later.labels["le"]!) for \(labels)")
                }
                let count = samples.first { $0.name == family + "_count" && $0.labels == labels }?.value
                if ordered.last?.labels["le"] != "+Inf" || ordered.last?.value != count {
                    problems.append("\(family): +Inf bucket is not _count for \(labels)")
                }
            }
        }
        self.samples = samples
        self.problems = problems
    }

    func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }

    private static func family(of name: String, types: [String: String]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return name
    }

    private static func parse(_ line: String) -> Sample? {
        guard let space = line.lastIndex(of: " ") else { return nil }
        let value = line[line.index(after: space)...]
        let head = line[..<space]
        guard let number = value == "+Inf" ? Double.infinity : Double(value) else { return nil }
        guard let brace = head.firstIndex(of: "{") else { return Sample(name: String(head), labels: [:], value: number) }
        guard head.hasSuffix("}") else { return nil }
        var labels: [String: String] = [:]
        for pair in head[head.index(after: brace)..<head.index(before: head.endIndex)].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix("\""), parts[1].hasSuffix("\"") else { return nil }
            labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
        }
        return Sample(name: String(head[..<brace]), labels: labels, value: number)
    }
}

/// Finds a program the Makefile installs (`make test` installs it when missing).
func requiredTool(_ name: String) throws -> String {
    for directory in ["/usr/bin", "/usr/local/bin", "/bin"] where access("\(directory)/\(name)", X_OK) == 0 {
        return "\(directory)/\(name)"
    }
    throw FixtureError("\(name) is not installed; `make test` installs it (Debian package: see the Makefile's test-tools target)")
}
