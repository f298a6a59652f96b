import Glibc

/// Parses `Retry-After` (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date.
/// Some servers write a fraction (`1.5`); it is read exactly, not rounded.
public enum RetryAfter {
    /// The delay in nanoseconds it asks for, given the wall-clock `now`
    /// (seconds since the epoch) for HTTP-dates; nil if it is neither form.
    /// A date in the past means "now" (0); a delay past 64-bit nanoseconds
    /// (about 584 years) is `UInt64.max`.
    public static func delay(_ value: String, wallClockNow now: Int) -> UInt64? {
        if let seconds = HeaderNumber.scaled(value, unit: 1_000_000_000) { return seconds }
        let text = value.trimmingSpaces
        guard let date = httpDate(text) else { return nil }
        return date > now ? nanoseconds(UInt64(date - now)) : 0
    }

    /// Saturates: a server can write more seconds than 64-bit nanoseconds
    /// hold (found by fuzzing: `Retry-After: 99999999999` trapped the worker).
    private static func nanoseconds(_ seconds: UInt64) -> UInt64 {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product
    }

    /// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`, in seconds since the epoch.
    static func httpDate(_ text: String) -> Int? {
        let fields = text.split(separator: " ", omittingEmptySubsequences: false)
        let days = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard fields.count == 6, days.contains(String(fields[0])), fields[5] == "GMT",
              fields[1].count == 2, let day = Int(fields[1]), (1...31).contains(day),
              let month = months.firstIndex(of: String(fields[2])),
              fields[3].count == 4, let year = Int(fields[3]), year >= 1970 else { return nil }
        let clock = fields[4].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              hour < 24, minute < 60, second < 61 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        return seconds < 0 ? nil : seconds
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
