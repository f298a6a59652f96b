/// Where a Redis server listens, and how to log in to it: a parsed
/// `redis://[user@]host[:port][/db]` or `unix:///path/to/redis.sock[?db=N][&user=NAME]`.
///
/// The password is never part of an endpoint: it is a credential resolved
/// elsewhere and handed to the connection as a `RedisPassword`. A URL that
/// carries one is refused, and no error repeats it.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Address: Sendable, Equatable {
        /// A host name, an IPv4 literal, `localhost`, or an IPv6 literal (without brackets).
        case tcp(host: String, port: UInt16)
        /// The path of a Unix-domain socket.
        case unix(path: String)
    }

    public static let defaultPort: UInt16 = 6379

    public var address: Address
    /// The ACL user for `AUTH user password`; nil for `AUTH password` (the default user).
    public var user: String?
    /// The database `SELECT`ed on every connection (0 is Redis's default).
    public var database: Int

    public init(address: Address, user: String? = nil, database: Int = 0) {
        self.address = address
        self.user = user
        self.database = database
    }

    /// Parses a Redis URL. The error says what is wrong and how to write it.
    public init(parsing url: String) throws(RedisURLError) {
        if let rest = url.dropPrefix("redis://") {
            self = try Self.parseTCP(rest, url: url)
        } else if let rest = url.dropPrefix("unix://") {
            self = try Self.parseUnix(rest, url: url)
        } else if url.hasPrefix("rediss://") {
            throw RedisURLError(url, "TLS (rediss://) is not supported: reach Redis over a Unix socket, or through a TLS tunnel listening on 127.0.0.1 (stunnel, a sidecar) with redis://")
        } else if let scheme = url.firstRange(of: "://").map({ url[..<$0.lowerBound] }) {
            throw RedisURLError(url, "\"\(scheme)\" is not a Redis scheme; write redis://host:6379/0 or unix:///run/redis/redis.sock")
        } else {
            throw RedisURLError(url, "it has no scheme; write redis://host:6379/0 or unix:///run/redis/redis.sock")
        }
    }

    /// The endpoint as a URL (never with a password).
    public var description: String {
        switch address {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(user.map { "\($0)@" } ?? "")\(shownHost):\(port)/\(database)"
        case .unix(let path):
            var query: [String] = []
            if database != 0 { query.append("db=\(database)") }
            if let user { query.append("user=\(user)") }
            return "unix://\(path)\(query.isEmpty ? "" : "?" + query.joined(separator: "&"))"
        }
    }

    // MARK: - redis://

    private static func parseTCP(_ rest: Substring, url: String) throws(RedisURLError) -> RedisEndpoint {
        var afterUser = rest
        var user: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            if userInfo.contains(":") {
                throw RedisURLError(url, "a password in the URL is refused: remove \":…\" before the @ (keep the user name if you use an ACL user) and supply the password through the coordinator's credential")
            }
            guard !userInfo.isEmpty else { throw RedisURLError(url, "the user before @ is empty; name the ACL user, or remove the @") }
            guard userInfo.allSatisfy({ !$0.isWhitespace && $0.isASCII && !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } && $0 != "/" }) else {
                throw RedisURLError(url, "the user \"\(userInfo)\" holds a space, a slash or a control character")
            }
            user = String(userInfo)
            afterUser = rest[rest.index(after: at)...]
        }
        let authorityEnd = afterUser.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterUser.endIndex
        let (host, port) = try parseHostPort(afterUser[..<authorityEnd], url: url)
        let database = try parsePath(afterUser[authorityEnd...], url: url)
        return RedisEndpoint(address: .tcp(host: host, port: port), user: user, database: database)
    }

    private static func parseHostPort(_ authority: Substring, url: String) throws(RedisURLError) -> (String, UInt16) {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw RedisURLError(url, "the IPv6 address has no closing bracket; write redis://[::1]:6379")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw RedisURLError(url, "after the IPv6 address comes :port or nothing; write redis://[::1]:6379") }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw RedisURLError(url, "\"\(host)\" is not an IPv6 address")
            }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            guard colons <= 1 else { throw RedisURLError(url, "an IPv6 address must be in brackets; write redis://[::1]:6379") }
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty else { throw RedisURLError(url, "it names no host; write redis://127.0.0.1:6379/0") }
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }) else {
                throw RedisURLError(url, "\"\(host)\" is not a host name or IPv4 address")
            }
        }
        guard let portText else { return (String(host), defaultPort) }
        guard portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = UInt16(portText), port > 0 else {
            // The text is not repeated: a password written where the port goes must not reach a log.
            throw RedisURLError(url, "the port after the colon is not a number in 1…65535 (Redis listens on 6379 by default)")
        }
        return (String(host), port)
    }

    private static func parsePath(_ path: Substring, url: String) throws(RedisURLError) -> Int {
        if path.contains("?") {
            throw RedisURLError(url, "query parameters are not read in redis:// URLs; put the database in the path (redis://host:6379/2) and the password in the credential")
        }
        if path.contains("#") { throw RedisURLError(url, "a fragment (#…) has no meaning here; remove it") }
        if path.isEmpty || path == "/" { return 0 }
        let number = path.dropFirst()
        guard path.hasPrefix("/"), !number.contains("/") else {
            throw RedisURLError(url, "the path must be the database number, like /0")
        }
        return try database(number, url: url)
    }

    private static func database(_ text: Substring, url: String) throws(RedisURLError) -> Int {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(text) else {
            throw RedisURLError(url, "the database \"\(text)\" is not a number; write /0 (redis://) or ?db=0 (unix://)")
        }
        return number
    }

    // MARK: - unix://

    private static func parseUnix(_ rest: Substring, url: String) throws(RedisURLError) -> RedisEndpoint {
        guard rest.hasPrefix("/") else {
            throw RedisURLError(url, "the socket must be an absolute path after unix://; write unix:///run/redis/redis.sock (three slashes)")
        }
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        let path = String(rest[..<queryStart])
        guard !path.contains("#") else { throw RedisURLError(url, "a fragment (#…) has no meaning here; remove it") }
        guard !path.utf8.contains(0) else { throw RedisURLError(url, "the socket path holds a NUL byte") }
        // sockaddr_un.sun_path holds 108 bytes, the terminating NUL included (unix(7)).
        guard path.utf8.count <= 107 else {
            throw RedisURLError(url, "the socket path is \(path.utf8.count) bytes; a Unix socket path has at most 107: use a shorter one (a symlink to its directory works)")
        }
        var database = 0
        var user: String?
        for parameter in rest[queryStart...].dropFirst().split(separator: "&") {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0]
            let value = parts.count > 1 ? parts[1] : ""
            switch name {
            case "db": database = try Self.database(value, url: url)
            case "user":
                guard !value.isEmpty else { throw RedisURLError(url, "user= is empty; name the ACL user, or remove it") }
                user = String(value)
            case _ where isSecretName(name):
                throw RedisURLError(url, "a password in the URL is refused: remove \(name)= and supply the password through the coordinator's credential")
            default:
                throw RedisURLError(url, "unknown parameter \"\(name)\"; a unix:// URL takes db=N and user=NAME")
            }
        }
        return RedisEndpoint(address: .unix(path: path), user: user, database: database)
    }

    fileprivate static func isSecretName(_ name: Substring) -> Bool {
        let lower = name.lowercased()
        return ["pass", "auth", "secret", "token", "key"].contains { lower.contains($0) }
    }
}

/// A Redis URL that cannot be used as written. Its text never holds the
/// URL's password: that part is shown as `***`.
public struct RedisURLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The URL with any password replaced by `***`.
    public let url: String
    /// What is wrong, and how to write it instead.
    public let reason: String

    init(_ url: String, _ reason: String) {
        self.url = Self.redacted(url)
        self.reason = reason
    }

    public var description: String { "redis URL \"\(url)\": \(reason)" }

    /// `url` with whatever could be a password replaced by `***`: between the
    /// first ":" after the scheme and the last "@"; a "port" that is not
    /// digits; and the value of any query parameter whose name sounds like a secret.
    static func redacted(_ url: String) -> String {
        var text = url
        let afterScheme = text.firstRange(of: "://")?.upperBound ?? text.startIndex
        var hostStart = afterScheme
        if let at = text[afterScheme...].lastIndex(of: "@") {
            if let colon = text[afterScheme..<at].firstIndex(of: ":") {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
            hostStart = text.index(after: text[afterScheme...].lastIndex(of: "@") ?? afterScheme)
        }
        let hostEnd = text[hostStart...].firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
        let bracketEnd = text[hostStart..<hostEnd].lastIndex(of: "]") ?? hostStart
        if let colon = text[bracketEnd..<hostEnd].lastIndex(of: ":"),
           !text[text.index(after: colon)..<hostEnd].allSatisfy({ $0.isASCII && $0.isNumber }) {
            text.replaceSubrange(text.index(after: colon)..<hostEnd, with: "***")
        }
        guard let query = text.firstIndex(of: "?") else { return text }
        let parameters = text[text.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            guard let equals = parameter.firstIndex(of: "="), RedisEndpoint.isSecretName(parameter[..<equals]) else { return String(parameter) }
            return parameter[...equals] + "***"
        }
        return text[...query] + parameters.joined(separator: "&")
    }
}

extension String {
    fileprivate func dropPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? self[index(startIndex, offsetBy: prefix.count)...] : nil
    }
}
