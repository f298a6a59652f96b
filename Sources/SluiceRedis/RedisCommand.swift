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
        Self.header(UInt8(ascii: "*"), words.count, into: &bytes)
        for word in words {
            Self.header(UInt8(ascii: "$"), word.count, into: &bytes)
            bytes.append(contentsOf: word)
            bytes.append(13)
            bytes.append(10)
        }
    }

    /// `<type><count>\r\n`, the digits written directly (this runs once per word sent).
    private static func header(_ type: UInt8, _ count: Int, into bytes: inout [UInt8]) {
        bytes.append(type)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var value = count
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10)
                value /= 10
            } while value > 0 && start > 0
            bytes.append(contentsOf: digits[start...])
        }
        bytes.append(13)
        bytes.append(10)
    }
}
