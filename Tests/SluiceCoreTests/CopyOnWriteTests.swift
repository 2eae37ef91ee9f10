import SluiceCore
import Testing

/// `DesiredObject` and `PolicyEngine.Subject` keep their fields in a `CopyOnWrite` box: copies
/// share one box, and they must still behave as values.
@Suite("Copy-on-write boxes")
struct CopyOnWriteTests {
    struct Fields: Sendable, Equatable {
        var name: String
        var items: [String]
    }

    @Test("a change to a copy leaves the original as it was, and the other way round")
    func copiesAreValues() {
        var original = CopyOnWrite(Fields(name: "orders", items: ["a"]))
        var copy = original
        copy.value.name = "payments"
        copy.value.items.append("b")
        #expect(original.value == Fields(name: "orders", items: ["a"]))
        #expect(copy.value == Fields(name: "payments", items: ["a", "b"]))

        original.value.items = []
        #expect(copy.value.items == ["a", "b"])
        #expect(original.value == Fields(name: "orders", items: []))
    }

    @Test("copies made on other threads while one holder changes its own see what they copied")
    func copiesAcrossThreads() async {
        var shared = CopyOnWrite(Fields(name: "v0", items: []))
        let snapshot = shared
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    // Each task changes its own copy; the snapshot it was given never moves.
                    var mine = snapshot
                    for i in 0..<200 { mine.value.items.append("\(i)") }
                    return snapshot.value == Fields(name: "v0", items: []) && mine.value.items.count == 200
                }
            }
            for i in 1...200 { shared.value.name = "v\(i)" }
            for await fine in group { #expect(fine) }
        }
        #expect(shared.value.name == "v200")
        #expect(snapshot.value.name == "v0")
    }
}
