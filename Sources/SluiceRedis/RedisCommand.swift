/// One Redis command: its name and arguments, sent as an array of bulk
/// strings, so any byte (CR, LF, NUL, non-UTF-8) can be in an argument.
///
/// ```swift
/// RedisCommand("SET", "sluice:stripe:rate", 100)
/// RedisCommand("GET", key)
/// ```
public struct RedisCommand: Sendable, Hashable {
    /// The name first, then each argument: exactly the bulk strings sent.
    public private(set) var words: [[UInt8]]

    public init(_ name: String, _ arguments: any RedisArgument...) {
        self.init(name, arguments: arguments)
    }

    public init(_ name: String, arguments: [any RedisArgument]) {
        words = [Array(name.utf8)] + arguments.map(\.redisArgumentBytes)
    }

    /// A command given as raw bytes: `name` then `arguments`.
    public init(name: [UInt8], arguments: [[UInt8]]) {
        words = [name] + arguments
    }

    /// The command's name, upper-cased, for messages. Arguments never appear in
    /// any message this module writes (they may hold a key's value, or AUTH's
    /// password).
    public var name: String { String(decoding: words.first ?? [], as: UTF8.self).uppercased() }

    public mutating func append(_ argument: any RedisArgument) {
        words.append(argument.redisArgumentBytes)
    }

    /// The command as sent: `*<count>\r\n` then `$<length>\r\n<bytes>\r\n` per word.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    public func encode(into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "*"))
        bytes.append(contentsOf: String(words.count).utf8)
        bytes.append(contentsOf: [13, 10])
        for word in words {
            bytes.append(UInt8(ascii: "$"))
            bytes.append(contentsOf: String(word.count).utf8)
            bytes.append(contentsOf: [13, 10])
            bytes.append(contentsOf: word)
            bytes.append(contentsOf: [13, 10])
        }
    }
}
