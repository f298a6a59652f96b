import Foundation

/// A chart written as SVG text: bars, lines with point markers, and labelled
/// horizontal reference lines (a limit), on linear axes with round ticks.
///
/// The project draws its own charts (no packages, DESIGN.md): an SVG is plain
/// text, viewable in any browser and on GitHub, and diffable in review. The
/// output is deterministic: the same chart gives the same bytes, numbers
/// printed with at most two decimals.
public struct SVGChart: Sendable {
    public enum Style: Sendable, Equatable {
        /// One bar per point, `width` wide in x units, starting at the point's x.
        case bars(width: Double)
        /// A polyline through the points, a dot at each.
        case line
        /// A thin polyline through the points, no dots: for many points.
        case trace
    }

    public struct Series: Sendable {
        public var name: String
        public var color: String
        public var style: Style
        public var points: [(x: Double, y: Double)]

        public init(name: String, color: String, style: Style, points: [(x: Double, y: Double)]) {
            self.name = name
            self.color = color
            self.style = style
            self.points = points
        }
    }

    /// A horizontal line across the plot at `y`, dashed, labelled in the legend.
    public struct Reference: Sendable {
        public var label: String
        public var y: Double
        public var color: String

        public init(label: String, y: Double, color: String) {
            self.label = label
            self.y = y
            self.color = color
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    public var references: [Reference] = []
    /// Tick positions with their labels; nil: round numbers across the x domain.
    public var xTicks: [(value: Double, label: String)]?
    /// The x range shown; nil: from the data (bars include their width).
    public var xDomain: ClosedRange<Double>?
    /// The y axis's top (rounded up to a tick); nil: from the data. Charts meant to be
    /// compared side by side share one.
    public var yTop: Double?
    public var width = 820.0
    public var height = 320.0

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    // The plot area inside the margins (room for the title, axis labels, the legend).
    var plot: (left: Double, right: Double, top: Double, bottom: Double) { (64, width - 200, 40, height - 48) }

    /// The domains shown: y always starts at 0 and ends on a round tick above every value and reference.
    var domains: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        var xs: [Double] = []
        var ys = references.map(\.y)
        for series in series {
            for point in series.points {
                xs.append(point.x)
                if case .bars(let width) = series.style { xs.append(point.x + width) }
                ys.append(point.y)
            }
        }
        let x = xDomain ?? ((xs.min() ?? 0)...max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9))
        let top = SVGChart.niceTicks(upTo: max(yTop ?? 0, ys.max() ?? 1, 1e-9)).last ?? 1
        return (x, 0...top)
    }

    /// The SVG document.
    public func render() -> String {
        let (xDomain, yDomain) = domains
        let x = LinearScale(domain: xDomain, start: plot.left, end: plot.right)
        let y = LinearScale(domain: yDomain, start: plot.bottom, end: plot.top)
        var parts: [String] = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Self.number(width))" height="\#(Self.number(height))" "#
                + #"viewBox="0 0 \#(Self.number(width)) \#(Self.number(height))" font-family="sans-serif" font-size="12">"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
            text(title, x: plot.left, y: 22, attributes: #"font-size="15" font-weight="bold""#),
        ]
        parts += axes(x: x, y: y, yDomain: yDomain)
        for series in series { parts += draw(series, x: x, y: y) }
        for reference in references {
            let level = Self.number(y.map(reference.y))
            parts.append(#"<line x1="\#(Self.number(plot.left))" y1="\#(level)" x2="\#(Self.number(plot.right))" y2="\#(level)" "#
                         + #"stroke="\#(Self.escaped(reference.color))" stroke-width="1.5" stroke-dasharray="6 4"/>"#)
        }
        parts += legend()
        parts.append("</svg>")
        return parts.joined(separator: "\n") + "\n"
    }

    private func axes(x: LinearScale, y: LinearScale, yDomain: ClosedRange<Double>) -> [String] {
        var parts: [String] = []
        for tick in Self.niceTicks(upTo: yDomain.upperBound) {
            let level = Self.number(y.map(tick))
            parts.append(#"<line x1="\#(Self.number(plot.left))" y1="\#(level)" x2="\#(Self.number(plot.right))" y2="\#(level)" stroke="\#(Self.gridColor)"/>"#)
            parts.append(text(Self.tickLabel(tick), x: plot.left - 6, y: y.map(tick) + 4, attributes: #"text-anchor="end""#))
        }
        let ticks = xTicks ?? Self.niceTicks(from: x.domain.lowerBound, to: x.domain.upperBound).map { ($0, Self.tickLabel($0)) }
        for tick in ticks where x.domain.contains(tick.value) {
            let position = x.map(tick.value)
            parts.append(#"<line x1="\#(Self.number(position))" y1="\#(Self.number(plot.bottom))" x2="\#(Self.number(position))" y2="\#(Self.number(plot.bottom + 4))" stroke="black"/>"#)
            parts.append(text(tick.label, x: position, y: plot.bottom + 17, attributes: #"text-anchor="middle""#))
        }
        parts.append(#"<polyline points="\#(Self.number(plot.left)),\#(Self.number(plot.top)) \#(Self.number(plot.left)),\#(Self.number(plot.bottom)) \#(Self.number(plot.right)),\#(Self.number(plot.bottom))" fill="none" stroke="black"/>"#)
        parts.append(text(xLabel, x: (plot.left + plot.right) / 2, y: height - 10, attributes: #"text-anchor="middle""#))
        let middle = (plot.top + plot.bottom) / 2
        parts.append(text(yLabel, x: 16, y: middle, attributes: #"text-anchor="middle" transform="rotate(-90 16 \#(Self.number(middle)))""#))
        return parts
    }

    private func draw(_ series: Series, x: LinearScale, y: LinearScale) -> [String] {
        let color = Self.escaped(series.color)
        switch series.style {
        case .bars(let width):
            // Consecutive bars touch; a zero bar draws nothing.
            return series.points.filter { $0.y > 0 }.map { point in
                let left = x.map(point.x), right = x.map(point.x + width), top = y.map(point.y)
                return #"<rect x="\#(Self.number(left))" y="\#(Self.number(top))" width="\#(Self.number(max(right - left, 0.5)))" "#
                    + #"height="\#(Self.number(y.map(0) - top))" fill="\#(color)"/>"#
            }
        case .trace:
            let coordinates = series.points.map { "\(Self.number(x.map($0.x))),\(Self.number(y.map($0.y)))" }
            return [#"<polyline points="\#(coordinates.joined(separator: " "))" fill="none" stroke="\#(color)" stroke-width="1.5"/>"#]
        case .line:
            let coordinates = series.points.map { "\(Self.number(x.map($0.x))),\(Self.number(y.map($0.y)))" }
            return [#"<polyline points="\#(coordinates.joined(separator: " "))" fill="none" stroke="\#(color)" stroke-width="2"/>"#]
                + series.points.map { #"<circle cx="\#(Self.number(x.map($0.x)))" cy="\#(Self.number(y.map($0.y)))" r="3.5" fill="\#(color)"/>"# }
        }
    }

    /// Right of the plot: a swatch and the name of each series, then a dashed stroke and the label of each reference.
    private func legend() -> [String] {
        let left = Self.number(plot.right + 6)
        let rows = series.enumerated().flatMap { index, series -> [String] in
            let top = plot.top + Double(index) * 18
            return [#"<rect x="\#(left)" y="\#(Self.number(top))" width="12" height="12" fill="\#(Self.escaped(series.color))"/>"#,
                    text(series.name, x: plot.right + 22, y: top + 10, attributes: "")]
        }
        return rows + references.enumerated().flatMap { index, reference -> [String] in
            let middle = Self.number(plot.top + Double(series.count + index) * 18 + 6)
            return [#"<line x1="\#(left)" y1="\#(middle)" x2="\#(Self.number(plot.right + 18))" y2="\#(middle)" "#
                        + #"stroke="\#(Self.escaped(reference.color))" stroke-width="1.5" stroke-dasharray="4 2"/>"#,
                    text(reference.label, x: plot.right + 22, y: plot.top + Double(series.count + index) * 18 + 10, attributes: "")]
        }
    }

    private func text(_ content: String, x: Double, y: Double, attributes: String) -> String {
        #"<text x="\#(Self.number(x))" y="\#(Self.number(y))"\#(attributes.isEmpty ? "" : " " + attributes)>\#(Self.escaped(content))</text>"#
    }

    static let gridColor = "#e4e4e4"

    /// Text safe inside an element or a double-quoted attribute.
    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A coordinate with at most two decimals and no trailing zeros: `12`, `3.5`, `0.25`.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// A tick's label: `40`, `2.5`, `1.5M`, `20k`.
    static func tickLabel(_ value: Double) -> String {
        if abs(value) >= 1_000_000 { return number(value / 1_000_000) + "M" }
        if abs(value) >= 10_000 { return number(value / 1_000) + "k" }
        return number(value)
    }

    /// Round ticks (steps of 1, 2 or 5 × 10ⁿ) from 0 to the first at or above `top`, about five of them.
    static func niceTicks(upTo top: Double) -> [Double] {
        let step = niceStep(top / 5)
        let count = Int((top / step).rounded(.up))
        return (0...max(count, 1)).map { Double($0) * step }
    }

    /// Round ticks inside `from...to`.
    static func niceTicks(from: Double, to: Double) -> [Double] {
        let step = niceStep((to - from) / 6)
        let first = (from / step).rounded(.up)
        return stride(from: first * step, through: to + step * 1e-9, by: step).map { $0 }
    }

    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(rough)))
        let fraction = rough / magnitude
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
    }
}

/// Maps a domain linearly onto pixels from `start` to `end`; `end` may be the
/// smaller, as for a y axis that grows upwards.
struct LinearScale {
    let domain: ClosedRange<Double>
    let start: Double
    let end: Double

    func map(_ value: Double) -> Double {
        let span = domain.upperBound - domain.lowerBound
        guard span > 0 else { return start }
        return start + (value - domain.lowerBound) / span * (end - start)
    }
}
