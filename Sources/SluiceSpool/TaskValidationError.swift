/// A task (or part of one) that the spool refuses; nothing was written.
///
/// The description names the field, shows the value and says what to write
/// instead: `kind: "Send Email" is not a task kind; use lowercase letters, digits and "_"`.
public struct TaskValidationError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The JSON field at fault (`"kind"`, `"payload"`), or `"task"` for the whole document.
    public let field: String
    /// The offending value as written, if there is one to show.
    public let value: String?
    /// What is wrong and how to fix it.
    public let problem: String

    public init(field: String, value: String? = nil, problem: String) {
        self.field = field
        self.value = value
        self.problem = problem
    }

    public var description: String {
        guard let value else { return "\(field): \(problem)" }
        let shown = value.count > 60 ? String(value.prefix(60)) + "…" : value
        return "\(field): \"\(shown)\" \(problem)"
    }
}
