import SluiceCore
import SluiceSpec
import SluiceSync
import SluiceYAML
import Testing

@Suite("The change a planned action hands the job reconciler")
struct JobChangeTests {
    @Test("a job change carries the planned kind, the object, its spec hash and revision, what was live, and the state-loss flag")
    func carriesThePlan() throws {
        let old = Objects.desired(Objects.deployment("orders", parallelism: 2), revision: "r1")
        var new = Objects.desired(Objects.deployment("orders", parallelism: 4), revision: "r2")
        // The revision travels as a value: the annotation stamped for people reading the cluster is not read back.
        new.revision = "r2-field"
        var action = Objects.plan([new], live: [Objects.live(old)]).actions[0]
        action.allowStateLoss = true
        let change = try #require(action.jobChange)
        #expect(change.kind == action.kind)
        #expect(change.identity == new.identity)
        #expect(change.desired == new.value)
        #expect(change.specHash == new.specHash)
        #expect(change.revision == "r2-field")
        #expect(change.live == old.value)
        #expect(change.allowStateLoss)
    }

    @Test("a delete carries what was live and no desired object, spec hash or revision")
    func delete() throws {
        let old = Objects.desired(Objects.deployment("orders"), revision: "r1")
        let action = Objects.plan([], live: [Objects.live(old)], prune: true, allowMassPrune: true).actions[0]
        #expect(action.kind == .delete)
        let change = try #require(action.jobChange)
        #expect(change.kind == .delete && change.desired == nil && change.specHash == nil && change.revision == nil)
        #expect(change.live == old.value)
    }

    @Test("only actions that ask something of a job become a job change; the others are answered without the cluster")
    func onlyJobSteps() {
        let object = Objects.desired(Objects.deployment("orders"))
        var action = Objects.plan([object], live: [Objects.live(object)]).actions[0]
        for kind in ActionKind.allCases {
            action.kind = kind
            let asksNothing: Set<ActionKind> = [.none, .orphan, .conflict, .drift]
            #expect((action.jobChange == nil) == asksNothing.contains(kind), "\(kind)")
        }
        #expect(ActionOutcome.nothingToDo(.none).kind == .unchanged)
        for kind: ActionKind in [.orphan, .conflict, .drift] {
            #expect(ActionOutcome.nothingToDo(kind).kind == .skipped, "\(kind)")
        }
        #expect(ActionOutcome.nothingToDo(.drift).succeeded)
        #expect(!ActionOutcome(.failed, "refused").succeeded)
    }
}
