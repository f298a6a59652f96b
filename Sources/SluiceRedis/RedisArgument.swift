/// Something that can be one argument of a Redis command: its bytes as sent.
///
/// Strings are sent as UTF-8, byte arrays as they are, numbers in decimal
/// (the form Redis parses: `SET k 5`, `EXPIRE k 30`).
public protocol RedisArgument: Sendable {
    var redisArgumentBytes: [UInt8] { get }
}

extension String: RedisArgument {
    public var redisArgumentBytes: [UInt8] { Array(utf8) }
}

extension Substring: RedisArgument {
    public var redisArgumentBytes: [UInt8] { Array(utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    public var redisArgumentBytes: [UInt8] { self }
}

extension Int: RedisArgument {
    public var redisArgumentBytes: [UInt8] { Array(String(self).utf8) }
}

extension Int64: RedisArgument {
    public var redisArgumentBytes: [UInt8] { Array(String(self).utf8) }
}

extension UInt64: RedisArgument {
    public var redisArgumentBytes: [UInt8] { Array(String(self).utf8) }
}

extension Double: RedisArgument {
    /// The shortest decimal that reads back as the same double (`1.5`, `1e+300`, `inf`).
    public var redisArgumentBytes: [UInt8] { Array(description.utf8) }
}
