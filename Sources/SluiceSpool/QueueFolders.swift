import SluicePOSIX

/// The open folders of one queue directory (see `SpoolFolder`).
struct QueueFolders: Sendable {
    let queue: Directory
    private let folders: [Directory]

    /// Opens the queue directory `path` and its folders, creating any that are missing when `create` is set.
    init(path: String, create: Bool, faults: SpoolFaults) throws(SystemError) {
        queue = try Directory.open(path, create: create, faults: faults)
        var opened: [Directory] = []
        for folder in SpoolFolder.allCases {
            opened.append(try queue.child(folder.rawValue, create: create))
        }
        folders = opened
    }

    subscript(folder: SpoolFolder) -> Directory {
        // allCases order is the order opened in init.
        folders[SpoolFolder.allCases.firstIndex(of: folder) ?? 0]
    }

    var tmp: Directory { self[.tmp] }
    var journal: Directory { self[.journal] }
    var ready: Directory { self[.ready] }
    var leased: Directory { self[.leased] }
    var dead: Directory { self[.dead] }
    var done: Directory { self[.done] }
    var quarantine: Directory { self[.quarantine] }
    var ids: Directory { self[.ids] }
    var spare: Directory { self[.spare] }
}
