import Foundation
import SluiceSpool
import SluiceCore

/// The part of Sluice's configuration file the spool commands read: the
/// spool root and the names of the queues.
///
/// ```json
/// { "spool": "/var/lib/sluice/spool", "queues": { "emails": { … }, "payments": { … } } }
/// ```
///
/// This is the subset the full configuration (issue 3) will extend: it
/// reads only `spool` (optional string) and the keys of `queues` (required
/// object); every other field is left for the full parser to check.
struct SpoolConfigFile {
    /// The spool root, if the file sets one.
    let spool: String?
    /// The queues the configuration defines.
    let queues: [QueueName]

    /// Reads and checks `path`; the error names the file, the field and the fix.
    init(path: String) throws(UsageError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("--config \(path): cannot read the file; check the path and its permissions")
        }
        let document: Any
        do {
            document = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw UsageError("config \(path): not valid JSON (\(error.localizedDescription)); check the file with `jq . \(path)`")
        }
        try self.init(document: document, path: path)
    }

    init(document: Any, path: String) throws(UsageError) {
        guard let object = document as? [String: Any] else {
            throw UsageError("config \(path): the top level must be an object like {\"queues\": {…}}")
        }
        if let spool = object["spool"] {
            guard let text = spool as? String, text.hasPrefix("/") else {
                throw UsageError("config \(path): spool: must be an absolute directory path, e.g. \"/var/lib/sluice/spool\"")
            }
            self.spool = text
        } else {
            spool = nil
        }
        guard let queues = object["queues"] as? [String: Any] else {
            throw UsageError("config \(path): queues: missing or not an object; define the queues, e.g. \"queues\": {\"emails\": {}}")
        }
        var names: [QueueName] = []
        for key in queues.keys.sorted() {
            do { names.append(try QueueName(validating: key)) } catch {
                throw UsageError("config \(path): queues.\(key): \(error)")
            }
        }
        self.queues = names
    }
}
