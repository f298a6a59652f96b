import SluiceRedis
import Testing
@testable import SluiceCluster

/// Review attack (final): hostile script replies are refused without a trap.
@Suite struct AttackFinalReplyTests {
    static let hostile: [RESPValue] = [
        .integer(-1), .integer(.min), .integer(.max), .integer(0), .bulkString(Array("5".utf8)), .simpleString("-1"),
        .null, .array([]), .array([.integer(1)]), .double(1e300), .bigNumber("99999999999999999999999"), .boolean(true),
        .bulkString([0xFF, 0xFE]), .bulkString(Array("1e400".utf8)), .bulkString(Array("18446744073709551616".utf8)),
    ]

    @Test func scheduleReplies_ofEveryHostileShape_doNotTrap() {
        var accepted: [String] = []
        for count in [5, 6, 11, 12] {
            for value in Self.hostile {
                for position in 0..<count {
                    var parts = [RESPValue](repeating: .integer(1), count: count)
                    parts[0] = .integer(count == 6 ? 1 : (count == 11 ? 0 : 2))
                    parts[position] = value
                    if let reply = ScheduleScript.Reply(.array(parts)) {
                        if case .integer(let n) = value, n < 0 { Issue.record("negative accepted at \(position) of \(count): \(reply)") }
                        if value.integer == nil, position < 5 || (count == 6 && position == 5) { Issue.record("non-integer accepted: \(value) at \(position)") }
                        accepted.append("\(count)/\(position)")
                    }
                }
            }
        }
        _ = ScheduleScript.Reply(.set([.integer(1), .integer(1), .integer(1), .integer(0), .integer(0), .integer(0), .integer(3)]))
        _ = ScheduleScript.Reply(.map([]))
        _ = ScheduleScript.Reply(.integer(.max))
    }

    @Test func runtimeRecords_ofHostileFields_areRefusedWithoutATrap() {
        let texts = ["", "-1", "18446744073709551616", "1e400", "0", "unlimited", "0/s", "99999999999999999999/s", "1.0000000000000000001/s",
                     "１/s", "1/s\u{0}", "9223372036854775807", "18446744073709551615", "2", " 1"]
        for position in 0..<7 {
            for text in texts {
                var fields: [RESPValue] = [.bulkString(Array("7".utf8)), .bulkString(Array("10/s".utf8)), .bulkString(Array("5".utf8)),
                                           .bulkString(Array("5/s".utf8)), .bulkString(Array("1".utf8)), .bulkString(Array("0".utf8)),
                                           .bulkString(Array("1".utf8))]
                fields[position] = .bulkString(Array(text.utf8))
                _ = RuntimeScript.record(.array(fields))
                fields[position] = .integer(.min)
                _ = RuntimeScript.record(.array(fields))
            }
        }
    }
}
