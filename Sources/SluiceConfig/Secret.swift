/// A credential. Prints as `<redacted>` everywhere (string interpolation,
/// `dump`, debug descriptions), so it cannot reach a log by accident; only
/// `reveal()` gives the text, and only the request builder calls it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    public func reveal() -> String { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

/// Where a queue's credential comes from: the variable `name`, else the file
/// named by `name_FILE`, else `$CREDENTIALS_DIRECTORY/name` (systemd's
/// `LoadCredential=`). Never from the spool or the config file itself.
public struct CredentialSource: Equatable, Sendable {
    public let name: String

    public init(name: String) { self.name = name }

    /// Resolves the credential, or explains every place that was tried.
    public func resolve(
        environment: [String: String], readFile: (String) -> String?
    ) throws(ConfigError) -> Secret {
        if let value = environment[name], !value.isEmpty { return Secret(value) }
        if let path = environment["\(name)_FILE"] {
            guard let contents = readFile(path) else {
                throw ConfigError("credential", "\(name)_FILE names \(path), which cannot be read")
            }
            return Secret(Self.trimmed(contents))
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], let contents = readFile("\(directory)/\(name)") {
            return Secret(Self.trimmed(contents))
        }
        throw ConfigError("credential", "\(name) is not set: set \(name), or \(name)_FILE to a file holding it, or LoadCredential=\(name) under systemd")
    }

    private static func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while let last = text.last, last == "\n" || last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
