import Foundation
import Testing

/// Rules about how the code is written that a compiler does not check,
/// checked over every Swift file in Sources/.
@Suite struct SourceRulesTests {
    static let sources: [(path: String, lines: [Substring])] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted().compactMap { relative in
            guard let text = try? String(contentsOfFile: root.appendingPathComponent(relative).path, encoding: .utf8) else { return nil }
            return ("Sources/" + relative, text.split(separator: "\n", omittingEmptySubsequences: false))
        }
    }()

    /// `due > clock.now() ? due - clock.now() : 0` reads the clock twice: when
    /// it passes `due` between the reads, the subtraction traps (a worker
    /// crashed this way). Read once, then `subtractingSaturated`.
    @Test func noArithmeticOnTwoReadsOfAClock() {
        #expect(Self.sources.count > 100, "found the sources")
        var offenders: [String] = []
        for (path, lines) in Self.sources {
            for (number, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                let reads = line.components(separatedBy: "now()").count - 1
                if reads >= 2, line.contains(" - ") || line.contains("&-") { offenders.append("\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))") }
            }
        }
        #expect(offenders.isEmpty, "read the clock once, then subtract with saturation:\n\(offenders.joined(separator: "\n"))")
    }
}
