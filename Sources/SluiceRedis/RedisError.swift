import SluicePOSIX

/// Why a call failed. The case says what the caller may assume about its
/// command(s); the `RedisFailure` says what went wrong, with the fix.
public enum RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not one byte of the command was written: Redis cannot have run it, and
    /// sending it again is safe.
    case notSent(RedisFailure)
    /// The command was written (maybe only in part), then the connection
    /// failed before its reply: Redis may or may not have run it. It is never
    /// sent again by this client; only the caller can judge whether to retry.
    case outcomeUnknown(RedisFailure)
    /// Redis answered with an error reply (the connection stays usable).
    case server(RedisServerError)
    /// Redis answered, but not in the shape the helper expects (`TIME`,
    /// `SCRIPT LOAD`): a server that is not Redis, or a proxy in between.
    case unexpectedReply(command: String, reply: RESPValue)

    public var description: String {
        switch self {
        case .notSent(let failure): "Redis command not sent: \(failure)"
        case .outcomeUnknown(let failure): "Redis command's outcome unknown (it may have run; it is not retried): \(failure)"
        case .server(let error): error.description
        case .unexpectedReply(let command, let reply): "Redis answered \(command) with an unexpected reply: \(RESPValue.summary(reply))"
        }
    }

    /// The failure behind `.notSent` or `.outcomeUnknown`.
    public var failure: RedisFailure? {
        switch self {
        case .notSent(let failure), .outcomeUnknown(let failure): failure
        case .server, .unexpectedReply: nil
        }
    }
}

/// A step of a call, to say which one ran out of time.
public enum RedisStep: String, Sendable, Equatable {
    case resolve = "resolving the host name"
    case connect = "connecting"
    case handshake = "logging in (AUTH, HELLO, SELECT)"
    case write = "writing the command"
    case read = "reading the reply"
}

/// What went wrong with the connection. Descriptions name the fix; none
/// holds the password or a command's arguments.
public indirect enum RedisFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call's budget ran out during `step`; a connection is closed when this happens.
    case timedOut(RedisStep, budget: Duration)
    /// The host name did not resolve.
    case resolveFailed(host: String, reason: String)
    /// No connection could be made (refused, unreachable, no socket file).
    case connectFailed(SystemError)
    /// The connection broke: reset, or closed by the server (`nil`).
    case connectionLost(SystemError?)
    /// `AUTH` (or `HELLO … AUTH`) was refused; Redis's own message.
    case authenticationFailed(String)
    /// A handshake command other than `AUTH` was refused (`SELECT`, `HELLO`, `CLIENT SETNAME`).
    case handshakeRefused(command: String, message: String)
    /// The server sent bytes that are not RESP, or broke a limit.
    case protocolViolation(RESPProtocolError)
    /// Recent attempts failed; the next may start in `retryIn`. The call
    /// failed at once rather than wait. `after` is the last attempt's failure.
    case backingOff(retryIn: Duration, after: RedisFailure)

    public var description: String {
        switch self {
        case .timedOut(let step, let budget):
            "\(step.rawValue) took longer than the call's budget of \(Self.milliseconds(budget)); the connection was closed. Check that Redis is up and not overloaded (SLOWLOG, a blocked or paused server), or raise the timeout"
        case .resolveFailed(let host, let reason):
            "cannot resolve \"\(host)\": \(reason); check the host in the Redis URL and the resolver (/etc/resolv.conf)"
        case .connectFailed(let error):
            "cannot connect: \(error); check that Redis is running and listens on the URL's host and port (or socket path), and that the path is accessible"
        case .connectionLost(let error?):
            "the connection broke: \(error)"
        case .connectionLost(nil):
            "the server closed the connection (Redis restarted, was killed, or closed an idle or over-limit client)"
        case .authenticationFailed(let message):
            "AUTH was refused: \(message); check the password in the credential, and the user in the URL (an ACL user needs redis://user@host)"
        case .handshakeRefused(let command, let message):
            "\(command) was refused: \(message)\(Self.hint(command: command))"
        case .protocolViolation(let error):
            "\(error); the connection was closed"
        case .backingOff(let retryIn, let after):
            "not connected; the next attempt is in \(Self.milliseconds(retryIn)) after: \(after)"
        }
    }

    private static func hint(command: String) -> String {
        switch command {
        case "SELECT": "; the database in the URL must be below the server's `databases` setting (16 by default)"
        case "HELLO": "; the server may not speak RESP3 (Redis before 6): use RESP2"
        case "CLIENT": "; a client name has no spaces"
        default: ""
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let microseconds = duration.nanoseconds / 1000
        return microseconds % 1000 == 0 ? "\(microseconds / 1000) ms" : "\(Double(microseconds) / 1000) ms"
    }
}

/// An error reply from Redis: `-WRONGTYPE Operation against a key holding the wrong kind of value`.
public struct RedisServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The whole message Redis sent.
    public let message: String
    /// The first word, by Redis's convention the error's kind: `ERR`, `WRONGTYPE`, `NOSCRIPT`, `NOAUTH`.
    public var code: Substring { message.prefix { $0 != " " } }
    /// The name of the command that got this reply.
    public let command: String

    public init(message: String, command: String) {
        self.message = message
        self.command = command
    }

    /// True when EVALSHA named a script the server does not hold (it did not run).
    public var isNoScript: Bool { code == "NOSCRIPT" }

    public var description: String {
        var text = "Redis refused \(command): \(message)"
        switch code {
        case "NOAUTH": text += "; the server requires a password: supply one through the credential"
        case "WRONGPASS": text += "; check the password in the credential, and the user in the URL"
        case "NOPERM": text += "; the ACL user lacks a permission this command needs (ACL SETUSER)"
        case "READONLY": text += "; the URL names a replica: point it at the primary"
        case "OOM": text += "; Redis reached maxmemory"
        default: break
        }
        return text
    }
}

extension RESPValue {
    /// A short, one-line description of a reply for error messages.
    static func summary(_ value: RESPValue) -> String {
        let text: String
        switch value {
        case .simpleString(let string): text = "simple string \"\(string)\""
        case .error(let message): text = "error \"\(message)\""
        case .integer(let number): text = "integer \(number)"
        case .bulkString(let bytes): text = "bulk string of \(bytes.count) bytes"
        case .null: text = "null"
        case .array(let values): text = "array of \(values.count)"
        case .double(let number): text = "double \(number)"
        case .boolean(let flag): text = "boolean \(flag)"
        case .bigNumber(let digits): text = "big number \(digits.prefix(40))"
        case .verbatimString(_, let bytes): text = "verbatim string of \(bytes.count) bytes"
        case .map(let pairs): text = "map of \(pairs.count)"
        case .set(let values): text = "set of \(values.count)"
        case .push(let values): text = "push of \(values.count)"
        }
        return String(text.prefix(200))
    }
}
