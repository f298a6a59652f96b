import Glibc

/// One line of an `EventLog`, read back: the event, its wall-clock instant
/// and its fields. For tools and tests that follow what a fleet did.
public struct LoggedEvent: Sendable {
    public let name: String
    /// Seconds since the epoch, to the millisecond the log carries.
    public let time: Double
    public let fields: [String: String]

    /// Parses one logfmt line as `EventLog` writes it; nil if it has no `event` or `ts`.
    public init?(_ line: Substring) {
        var fields: [String: String] = [:]
        var rest = line
        while let equals = rest.firstIndex(of: "=") {
            let key = String(rest[..<equals])
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" {
                    if character == "\\" { rest = rest.dropFirst() }
                    if let next = rest.first { value.append(next) }
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = String(rest[..<end])
                rest = rest[end...]
            }
            fields[key] = value
            rest = rest.drop { $0 == " " }
        }
        guard let name = fields["event"], let stamp = fields["ts"], let time = Self.epochSeconds(stamp) else { return nil }
        self.name = name
        self.time = time
        self.fields = fields
    }

    /// `2026-11-21T21:30:00.123Z` (what `EventLog` writes) → seconds since the epoch.
    public static func epochSeconds(_ stamp: String) -> Double? {
        let parts = stamp.split(whereSeparator: { "-T:.Z".contains($0) }).compactMap { Int($0) }
        guard parts.count == 7 else { return nil }
        var broken = tm()
        broken.tm_year = Int32(parts[0] - 1900)
        broken.tm_mon = Int32(parts[1] - 1)
        broken.tm_mday = Int32(parts[2])
        broken.tm_hour = Int32(parts[3])
        broken.tm_min = Int32(parts[4])
        broken.tm_sec = Int32(parts[5])
        return Double(timegm(&broken)) + Double(parts[6]) / 1000
    }
}
