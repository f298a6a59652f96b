/// The file names of tasks in each folder, built and parsed.
///
/// `ready/00001763717400000000000-order-42`: the due time in wall-clock
/// nanoseconds, zero-padded to 20 digits so that names sort by due time.
/// `leased/4711-00001763717400000000000-order-42`: the claimer's pid in front.
public enum SpoolNames {
    static let dueDigits = 20

    public static func ready(dueAt: UInt64, key: String) -> String {
        String(dueAt).leftPadded(to: dueDigits) + "-" + key
    }

    public static func leased(pid: Int32, readyName: String) -> String {
        "\(pid)-\(readyName)"
    }

    /// The due time and key of a ready name; nil if `name` is not one.
    public static func parseReady(_ name: String) -> (dueAt: UInt64, key: String)? {
        let bytes = Array(name.utf8)
        guard let due = parseDue(bytes[...]) else { return nil }
        return (due, String(decoding: bytes[(dueDigits + 1)...], as: UTF8.self))
    }

    /// The due time of a ready name given as bytes (no allocation); nil if it is not one.
    static func parseDue(_ bytes: some Collection<UInt8>) -> UInt64? {
        guard bytes.count > dueDigits + 1 else { return nil }
        var due: UInt64 = 0
        var index = bytes.startIndex
        for _ in 0..<dueDigits {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = due.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            due = sum
            index = bytes.index(after: index)
        }
        return bytes[index] == UInt8(ascii: "-") ? due : nil
    }

    /// The pid and ready name of a leased name; nil if `name` is not one.
    public static func parseLeased(_ name: String) -> (pid: Int32, readyName: String)? {
        guard let dash = name.firstIndex(of: "-"), let pid = Int32(name[..<dash]), pid > 0 else { return nil }
        let readyName = String(name[name.index(after: dash)...])
        return parseReady(readyName) == nil ? nil : (pid, readyName)
    }

    /// The key in a ready name, or in a leased name.
    public static func key(ofReady name: String) -> String? { parseReady(name)?.key }
}
