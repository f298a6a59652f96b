import Testing
@testable import SluiceSpool

@Suite struct TaskIDTests {
    @Test(arguments: ["a", "order-42", "A_b.c:d", String(repeating: "x", count: 255)])
    func validIDs_areAccepted(_ text: String) throws {
        #expect(try TaskID(validating: text).rawValue == text)
    }

    @Test(arguments: ["", ".hidden", "a/b", "a b", "ü", String(repeating: "x", count: 256), "../etc"])
    func invalidIDs_areRefusedNamingTheField(_ text: String) {
        #expect(throws: TaskIDError.self) { try TaskID(validating: text) }
        do { _ = try TaskID(validating: text) } catch { #expect(error.description.hasPrefix("id: ")) }
    }

    @Test func generatedIDs_areValidAndDistinct() throws {
        let ids = (0..<1000).map { _ in TaskID.generate() }
        #expect(Set(ids).count == 1000)
        for id in ids { #expect(try TaskID(validating: id.rawValue) == id) }
    }
}
