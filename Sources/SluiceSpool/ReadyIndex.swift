/// The ready tasks of one queue, ordered by due time, in little memory.
///
/// A binary min-heap of 16-byte entries (due time, where the key is stored)
/// over an arena of key bytes kept in 1 MiB chunks, so a million ready
/// tasks cost about 16 MB of entries plus their keys, and growing never
/// copies the keys. Entries may be stale (the file was claimed or moved by
/// someone else): a claim finds out when its rename fails, and a rebuild
/// drops them all.
struct ReadyIndex {
    private struct Entry {
        let due: UInt64
        /// Chunk index (high 12 bits) and offset in the chunk (low 20 bits).
        let location: UInt32
        let length: UInt16
    }

    private static let chunkSize = 1 << 20
    private var chunks: [[UInt8]] = []
    private var heap: [Entry] = []

    /// Entries held, including stale ones.
    var count: Int { heap.count }

    /// Adds a ready file by name (`<due>-<key>`); false if the name is not one.
    @discardableResult
    mutating func insert(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let entry = store(name) else { return false }
        heap.append(entry)
        siftUp(heap.count - 1)
        return true
    }

    /// Replaces the contents with every ready name in `names` (all at once,
    /// then one O(n) heapify instead of n insertions). Returns the names that
    /// are not ready names, for quarantine.
    mutating func rebuild<Failure: Error>(
        _ forEachName: ((UnsafeBufferPointer<UInt8>) -> Void) throws(Failure) -> Void
    ) throws(Failure) -> [String] {
        chunks = []
        heap = []
        var rejected: [String] = []
        try forEachName { name in
            if let entry = store(name) { heap.append(entry) } else { rejected.append(String(decoding: name, as: UTF8.self)) }
        }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
        return rejected
    }

    /// The earliest due time held (possibly of a stale entry).
    var earliestDue: UInt64? { heap.first?.due }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(atOrBefore now: UInt64) -> (dueAt: UInt64, key: String)? {
        guard let top = heap.first, top.due <= now else { return nil }
        let key = self.key(of: top)
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return (top.due, key)
    }

    private mutating func store(_ name: UnsafeBufferPointer<UInt8>) -> Entry? {
        guard let due = SpoolNames.parseDue(name) else { return nil }
        let key = UnsafeBufferPointer(rebasing: name[(SpoolNames.dueDigits + 1)...])
        guard key.count <= Int(UInt16.max) else { return nil }
        if chunks.isEmpty || chunks[chunks.count - 1].count + key.count > Self.chunkSize {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        let chunkIndex = chunks.count - 1
        let offset = chunks[chunkIndex].count
        chunks[chunkIndex].append(contentsOf: key)
        return Entry(due: due, location: UInt32(chunkIndex) << 20 | UInt32(offset), length: UInt16(key.count))
    }

    private func key(of entry: Entry) -> String {
        let chunk = Int(entry.location >> 20)
        let offset = Int(entry.location & 0xFFFFF)
        return String(decoding: chunks[chunk][offset..<(offset + Int(entry.length))], as: UTF8.self)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let smaller = right < heap.count && heap[right].due < heap[left].due ? right : left
            guard heap[smaller].due < heap[parent].due else { return }
            heap.swapAt(parent, smaller)
            parent = smaller
        }
    }
}
