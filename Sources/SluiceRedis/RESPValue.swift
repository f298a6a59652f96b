/// One reply, or one element of a reply, in the Redis serialization protocol
/// (RESP2, and the RESP3 types a server sends after `HELLO 3`).
///
/// Strings Redis calls "bulk" are bytes (binary-safe); the one-line kinds
/// (simple strings, errors, big numbers) are text, decoded as UTF-8 with
/// invalid bytes repaired. RESP2's null bulk string and null array and RESP3's
/// null are all `.null`. RESP3 attributes (`|`) are read and dropped: the
/// value they annotate is returned on its own.
public indirect enum RESPValue: Equatable, Sendable {
    /// `+OK`: a short status line.
    case simpleString(String)
    /// `-ERR …` (or RESP3's blob error `!`): Redis refused the command.
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$5\r\nhello`: bytes of any kind.
    case bulkString([UInt8])
    /// `$-1`, `*-1` (RESP2) or `_` (RESP3).
    case null
    /// `*2\r\n…`: elements in order, possibly nested.
    case array([RESPValue])
    /// RESP3 `,1.5`; also `inf`, `-inf` and `nan`.
    case double(Double)
    /// RESP3 `#t` / `#f`.
    case boolean(Bool)
    /// RESP3 `(3492890328409238509324850943850943825024385`: decimal digits, kept as text.
    case bigNumber(String)
    /// RESP3 `=15\r\ntxt:Some string`: text with a three-letter format (`txt`, `mkd`).
    case verbatimString(format: String, text: [UInt8])
    /// RESP3 `%`: key–value pairs in the order the server sent them.
    case map([RESPPair])
    /// RESP3 `~`: an unordered collection, in the order sent.
    case set([RESPValue])
    /// RESP3 `>`: an out-of-band message (client tracking, pub/sub). A
    /// connection skips these while it waits for its replies.
    case push([RESPValue])
}

/// One key–value pair of a RESP3 map.
public struct RESPPair: Equatable, Sendable {
    public var key: RESPValue
    public var value: RESPValue

    public init(_ key: RESPValue, _ value: RESPValue) {
        self.key = key
        self.value = value
    }
}

extension RESPValue {
    /// The text of a simple string, bulk string or verbatim string (UTF-8,
    /// invalid bytes repaired); nil for every other kind.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        case .verbatimString(_, let text): String(decoding: text, as: UTF8.self)
        default: nil
        }
    }

    /// The bytes of a bulk string, simple string or verbatim string; nil otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .simpleString(let text): Array(text.utf8)
        case .verbatimString(_, let text): text
        default: nil
        }
    }

    /// The value of an integer reply; nil for every other kind (a bulk string
    /// holding digits is not converted: say so where a command returns one).
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The elements of an array, set or push; nil otherwise.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values): values
        default: nil
        }
    }

    /// True for every kind of null.
    public var isNull: Bool { self == .null }

    /// The message of an error reply; nil otherwise.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
