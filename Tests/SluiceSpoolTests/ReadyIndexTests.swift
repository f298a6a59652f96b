import Testing
@testable import SluiceSpool

@Suite struct ReadyIndexTests {
    func insert(_ index: inout ReadyIndex, _ name: String) -> Bool {
        Array(name.utf8).withUnsafeBufferPointer { index.insert($0) }
    }

    @Test func popDue_returnsEntriesInDueOrderOnlyOnceDue() {
        var index = ReadyIndex()
        for (due, key) in [(30, "c"), (10, "a"), (20, "b"), (40, "d")] {
            #expect(insert(&index, SpoolNames.ready(dueAt: UInt64(due), key: key)))
        }
        #expect(!insert(&index, "not-a-ready-name"))
        #expect(index.earliestDue == 10)
        var popped: [String] = []
        while let (_, key) = index.popDue(atOrBefore: 35) { popped.append(key) }
        #expect(popped == ["a", "b", "c"])
        #expect(index.count == 1 && index.earliestDue == 40)
    }

    @Test func rebuild_heapifiesManyNamesAndRejectsStrangers() {
        var index = ReadyIndex()
        let names = (0..<5000).map { SpoolNames.ready(dueAt: UInt64(($0 * 7919) % 5000), key: "t\($0)") } + ["junk"]
        let rejected = index.rebuild { (body: (UnsafeBufferPointer<UInt8>) -> Void) in
            for name in names { Array(name.utf8).withUnsafeBufferPointer(body) }
        }
        #expect(rejected == ["junk"])
        var last: UInt64 = 0
        var count = 0
        while let (due, _) = index.popDue(atOrBefore: .max) {
            #expect(due >= last)
            last = due
            count += 1
        }
        #expect(count == 5000)
    }
}
