extension TaskID {
    /// The longest id used as its own file key; longer ids are shortened.
    static let longestVerbatimKey = 200

    /// The id as it appears in file names: the id itself when it is at most
    /// 200 bytes, else its first 100 bytes, `~`, and 32 hex digits of its SHA-256.
    ///
    /// Why: a file name holds at most 255 bytes (NAME_MAX) and the spool puts a
    /// due time and a pid in front of the key. `~` never occurs in an id, so a
    /// shortened key can never equal a verbatim one; two long ids share a key
    /// only if they share a 128-bit hash prefix.
    public var fileKey: String {
        guard rawValue.utf8.count > Self.longestVerbatimKey else { return rawValue }
        let digest = SHA256.hash(Array(rawValue.utf8))
        let hex = digest.prefix(16).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        return String(decoding: rawValue.utf8.prefix(100), as: UTF8.self) + "~" + hex
    }
}
