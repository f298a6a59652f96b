import Foundation
import SluiceSpool

/// Everything in one queue directory, each task file parsed: what a crash
/// test checks after the dust settles.
struct SpoolInventory {
    /// Parsed tasks per folder.
    var tasks: [SpoolFolder: [TaskRecord]] = [:]
    /// Files that did not parse as tasks, with the folder they were in.
    var unreadable: [String] = []
    /// Names per folder.
    var names: [SpoolFolder: [String]] = [:]

    init(_ spool: SpoolFixture, queue: String = "emails") {
        for folder in SpoolFolder.allCases {
            names[folder] = spool.files(folder, queue: queue)
        }
        for folder in [SpoolFolder.ready, .leased, .dead, .done] {
            for name in names[folder] ?? [] {
                let path = spool.path(folder, name, queue: queue)
                if let data = FileManager.default.contents(atPath: path), let record = try? TaskRecord(parsing: Array(data)) {
                    tasks[folder, default: []].append(record)
                } else {
                    unreadable.append("\(folder)/\(name)")
                }
            }
        }
    }

    /// Ids of every parsed task, in every folder.
    var allIDs: [String] { tasks.values.flatMap { $0.map(\.id.rawValue) } }

    func count(_ folder: SpoolFolder) -> Int { names[folder]?.count ?? 0 }
}
