/// The words after a subcommand, consumed as options and positionals.
///
/// Commands take what they know (`option("--rate")`, `flag("--json")`,
/// `positional("queue")`) and then call `finish()`, which refuses anything
/// left over, so a typo is an error, never silently ignored.
public struct Arguments: Sendable {
    private var words: [String]

    public init(_ words: [String]) { self.words = words }

    /// True if `--help` or `-h` is among the words.
    public var wantsHelp: Bool { words.contains("--help") || words.contains("-h") }

    /// Removes and returns the value of `--name VALUE` or `--name=VALUE`.
    public mutating func option(_ name: String) throws(UsageError) -> String? {
        for (index, word) in words.enumerated() {
            if word == name {
                guard index + 1 < words.count else { throw UsageError("\(name) needs a value") }
                let value = words[index + 1]
                words.removeSubrange(index...(index + 1))
                return value
            }
            if word.hasPrefix(name + "=") {
                words.remove(at: index)
                return String(word.dropFirst(name.count + 1))
            }
        }
        return nil
    }

    /// Every value of a repeatable option, in order.
    public mutating func options(_ name: String) throws(UsageError) -> [String] {
        var values: [String] = []
        while let value = try option(name) { values.append(value) }
        return values
    }

    /// Parses the value of `--name` with `parse`, naming the option in the error.
    public mutating func option<T>(_ name: String, as parse: (String) -> T?, expected: String) throws(UsageError) -> T? {
        guard let text = try option(name) else { return nil }
        guard let value = parse(text) else { throw UsageError("\(name): \"\(text)\" is not \(expected)") }
        return value
    }

    /// Removes `--name` if present and says whether it was.
    public mutating func flag(_ name: String) -> Bool {
        guard let index = words.firstIndex(of: name) else { return false }
        words.remove(at: index)
        return true
    }

    /// Removes and returns the next word that is not an option.
    public mutating func positional(_ what: String) throws(UsageError) -> String {
        guard let value = optionalPositional() else { throw UsageError("missing <\(what)>") }
        return value
    }

    /// Removes and returns the next word that is not an option, if any.
    public mutating func optionalPositional() -> String? {
        guard let index = words.firstIndex(where: { !$0.hasPrefix("-") || $0 == "-" }) else { return nil }
        return words.remove(at: index)
    }

    /// Refuses any word not consumed.
    public func finish() throws(UsageError) {
        if let extra = words.first { throw UsageError("unexpected argument \"\(extra)\"") }
    }
}

/// A command line that does not fit the command's usage. Exit code 2.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
