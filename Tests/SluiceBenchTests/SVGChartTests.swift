import Foundation
import FoundationXML
@testable import SluiceBench
import Testing

/// The SVG writer: well-formed, escaped, deterministic, and its numbers where the scale puts them.
@Suite struct SVGChartTests {
    /// Every element's name and attributes, in document order, as an XML parser reads them.
    final class Elements: NSObject, XMLParserDelegate {
        var all: [(name: String, attributes: [String: String])] = []
        var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            all.append((name, attributes))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    static func parse(_ svg: String) -> Elements? {
        let parser = XMLParser(data: Data(svg.utf8))
        let elements = Elements()
        parser.delegate = elements
        return parser.parse() ? elements : nil
    }

    static func sample() -> SVGChart {
        var chart = SVGChart(title: "starts <per> 100 ms & \"limit\"", xLabel: "seconds", yLabel: "starts")
        chart.series = [SVGChart.Series(name: "bars", color: "#1f77b4", style: .bars(width: 0.1), points: [(0, 5), (0.1, 0), (0.2, 10)]),
                        SVGChart.Series(name: "line", color: "#ff7f0e", style: .line, points: [(0, 1), (0.3, 2)])]
        chart.references = [SVGChart.Reference(label: "limit 10/100 ms", y: 10, color: "#d62728")]
        return chart
    }

    @Test func render_isWellFormedXML_withTheTitleEscaped() throws {
        let svg = Self.sample().render()
        let elements = try #require(Self.parse(svg), "not well-formed:\n\(svg)")
        #expect(elements.all.first?.name == "svg")
        #expect(elements.text.contains("starts <per> 100 ms & \"limit\""))
        #expect(svg.contains("&lt;per&gt; 100 ms &amp; &quot;limit&quot;"))
    }

    @Test func bars_standOnTheAxis_withHeightsInProportion_andZeroBarsLeftOut() throws {
        let chart = Self.sample()
        let elements = try #require(Self.parse(chart.render()))
        let bars = elements.all.filter { $0.name == "rect" && $0.attributes["fill"] == "#1f77b4" && $0.attributes["height"] != "12" }
        #expect(bars.count == 2) // the 0 bar draws nothing; the legend swatch (12 × 12) is not a bar
        let heights = bars.compactMap { $0.attributes["height"].flatMap(Double.init) }
        let bottoms = bars.compactMap { bar in Double(bar.attributes["y"] ?? "").map { $0 + (Double(bar.attributes["height"] ?? "") ?? 0) } }
        #expect(heights.count == 2 && abs(heights[1] - 2 * heights[0]) < 0.02)
        #expect(Set(bottoms).count == 1 && bottoms.first == chart.plot.bottom)
    }

    @Test func yAxis_reachesAboveEveryValueAndReference_andAnExplicitTop() {
        var chart = Self.sample()
        #expect(chart.domains.y == 0...10)
        chart.references.append(SVGChart.Reference(label: "higher", y: 13, color: "red"))
        #expect(chart.domains.y == 0...15) // 13 needs steps of 5 (about five ticks), so the top tick is 15
        chart.yTop = 55
        #expect(chart.domains.y == 0...60)
        // Bars include their width in the x domain.
        #expect(chart.domains.x.upperBound == 0.30000000000000004 || chart.domains.x.upperBound == 0.3)
    }

    @Test func render_isDeterministic() {
        #expect(Self.sample().render() == Self.sample().render())
    }

    @Test(arguments: [
        (14.0, [0.0, 5, 10, 15]),       // step 5 for about five ticks; the last at or above the top
        (1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (25_600_000.0, [0.0, 1e7, 2e7, 3e7]),
        (0.0, [0.0, 1.0]),              // nothing to show: one unit tall, not a division by zero
    ])
    func niceTicks_areRoundSteps_fromZeroToTheFirstAtOrAboveTheTop(top: Double, expected: [Double]) {
        #expect(SVGChart.niceTicks(upTo: top).map { ($0 * 1000).rounded() / 1000 } == expected)
    }

    @Test(arguments: [(12.0, "12"), (3.5, "3.5"), (0.256, "0.26"), (-1.004, "-1"), (1_500_000, "1500000")])
    func numbers_haveAtMostTwoDecimals_andNoTrailingZeros(value: Double, text: String) {
        #expect(SVGChart.number(value) == text)
    }

    @Test(arguments: [(25_000_000.0, "25M"), (1_500_000, "1.5M"), (20_000, "20k"), (9_000, "9000"), (2.5, "2.5")])
    func tickLabels_abbreviateMillionsAndTensOfThousands(value: Double, label: String) {
        #expect(SVGChart.tickLabel(value) == label)
    }

    @Test func scale_mapsLinearly_andRunsBackwardsForY() {
        let y = LinearScale(domain: 0...10, start: 272, end: 40)
        #expect(y.map(0) == 272)
        #expect(y.map(10) == 40)
        #expect(y.map(5) == 156)
        #expect(LinearScale(domain: 3...3, start: 64, end: 610).map(3) == 64) // an empty domain maps to its start
    }
}
