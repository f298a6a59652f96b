/// RFC 3339 timestamps (`2025-11-21T09:30:00.250Z`) to and from wall-clock nanoseconds.
///
/// Pure functions over integers: the civil-calendar conversion follows
/// Howard Hinnant's `days_from_civil` / `civil_from_days` (proleptic Gregorian).
public enum Timestamp {
    /// The last whole second whose every nanosecond fits in a `UInt64` since
    /// 1970: 2554-07-21T23:34:32Z.
    static let latestSecond = Int64((UInt64.max - 999_999_999) / 1_000_000_000)

    /// Formats `nanoseconds` since the epoch as UTC with millisecond precision.
    public static func format(_ nanoseconds: UInt64) -> String {
        let seconds = Int64(nanoseconds / 1_000_000_000)
        let millis = Int(nanoseconds / 1_000_000 % 1000)
        let days = seconds / 86_400
        let secondOfDay = Int(seconds % 86_400)
        let (year, month, day) = civil(fromDays: days)
        func two(_ value: Int) -> String { String(value).leftPadded(to: 2) }
        return "\(String(year).leftPadded(to: 4))-\(two(month))-\(two(day))T"
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))."
            + "\(String(millis).leftPadded(to: 3))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil if it is not that,
    /// names an impossible date, or lies before 1970 or after `latest`.
    public static func parse(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard index < bytes.count, let digit = digit(bytes[index]) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == UInt8(ascii: "-"),
              let month = number(5..<7), bytes[7] == UInt8(ascii: "-"),
              let day = number(8..<10), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              let hour = number(11..<13), bytes[13] == UInt8(ascii: ":"),
              let minute = number(14..<16), bytes[16] == UInt8(ascii: ":"),
              let second = number(17..<19),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100_000_000
            let start = index
            while index < bytes.count, let digit = digit(bytes[index]) {
                fraction += Int64(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start, index - start <= 9 else { return nil }
        }
        guard let offset = zoneOffset(bytes[index...]) else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - offset
        // Past `latest` the nanoseconds overflow 64 bits (found by fuzzing: it trapped).
        guard seconds >= 0, seconds <= Self.latestSecond else { return nil }
        return UInt64(seconds) * 1_000_000_000 + UInt64(fraction)
    }

    /// `Z` → 0; `±HH:MM` → that many seconds east of UTC.
    private static func zoneOffset(_ bytes: ArraySlice<UInt8>) -> Int64? {
        let zone = Array(bytes)
        if zone == [UInt8(ascii: "Z")] || zone == [UInt8(ascii: "z")] { return 0 }
        guard zone.count == 6, zone[3] == UInt8(ascii: ":"),
              zone[0] == UInt8(ascii: "+") || zone[0] == UInt8(ascii: "-"),
              let h1 = digit(zone[1]), let h2 = digit(zone[2]), let m1 = digit(zone[4]), let m2 = digit(zone[5]),
              h1 * 10 + h2 < 24, m1 * 10 + m2 < 60 else { return nil }
        let seconds = Int64((h1 * 10 + h2) * 3600 + (m1 * 10 + m2) * 60)
        return zone[0] == UInt8(ascii: "+") ? seconds : -seconds
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
