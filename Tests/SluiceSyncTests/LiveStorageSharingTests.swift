import Foundation
import SluiceCore
import SluiceSpec
@testable import SluiceSync
import SluiceYAML
import Testing

/// The storage of a map node's entries (nil for anything else): the same address means the same
/// nodes, not a copy of them.
func mapStorage(_ value: Value?) -> UnsafeRawPointer? {
    guard case .map(let map)? = value?.kind else { return nil }
    return map.entries.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) }
}

/// A cluster that gives back, for each desired object, what a Flink session cluster's applied
/// store holds: the object as JSON (keys sorted) applied at an older revision, read back.
struct AppliedAtOlderRevisionDriver: ClusterDriver {
    let cluster: ClusterSpec

    func liveState(desired: [DesiredObject]) async throws -> [LiveObject] {
        try desired.map { object in
            var value = object.value
            value.modifyMap { root in
                root.modifyValue(forKey: "metadata", adding: [:]) { metadata in
                    metadata.modifyMap { $0.modifyValue(forKey: "annotations", adding: [:]) { $0.modifyMap { $0[Ownership.revisionAnnotation] = "older" } } }
                }
            }
            return LiveObject(identity: object.identity, value: try JSON.decode(JSON.encode(value, sortedKeys: true), file: "applied store"))
        }
    }

    func apply(_ action: PlannedAction) async throws -> ActionOutcome { ActionOutcome(.applied, "applied") }
    func health(of identity: ObjectIdentity) async throws -> Health { Health(.healthy, "fine") }
}

@Suite("Live values share the storage of desired ones")
struct LiveStorageSharingTests {
    @Test("subtrees equal to the desired ones are the desired nodes; the parts that differ keep their own")
    func sharesEqualSubtrees() throws {
        let desired = Objects.desired(Objects.deployment("orders"), revision: "new").value
        var changed = desired
        changed.modifyMap { $0.modifyValue(forKey: "metadata", adding: [:]) { $0.modifyMap { $0["annotations"] = ["sluice.dev/revision": "old"] } } }
        // Read back from JSON: the same data in new storage, keys in another order.
        let live = try JSON.decode(JSON.encode(changed, sortedKeys: true))
        #expect(mapStorage(live["spec"]) != mapStorage(desired["spec"]))

        let shared = live.sharingStorage(with: desired)
        #expect(shared == live)
        #expect(mapStorage(shared["spec"]) == mapStorage(desired["spec"]), "an equal subtree is the desired one")
        #expect(mapStorage(shared[path: "metadata", "labels"]) == mapStorage(desired[path: "metadata", "labels"]))
        #expect(mapStorage(shared["metadata"]) != mapStorage(desired["metadata"]), "the map that differs is a node of its own")
        #expect(shared[path: "metadata", "annotations", "sluice.dev/revision"]?.stringValue == "old")
        // The map that differs keeps the live object's key order.
        #expect(shared.mapValue?.keys == live.mapValue?.keys)
    }

    @Test("an equal value is the desired one; a different type or a longer list is not shared")
    func equalAndUnequal() throws {
        let desired: Value = ["a": 1, "b": ["x", "y"], "c": 1.0]
        let reordered = try JSON.decode(#"{"c": 1.0, "b": ["x", "y"], "a": 1}"#)
        #expect(mapStorage(reordered.sharingStorage(with: desired)) == mapStorage(desired))

        let other = try JSON.decode(#"{"a": 1.0, "b": ["x", "y", "z"], "c": 1.0}"#)
        let shared = other.sharingStorage(with: desired)
        #expect(shared == other)
        #expect(shared["a"]?.doubleValue == 1.0 && shared["a"]?.intValue == nil, "an integer never stands in for a number")
        #expect(shared["b"]?.listValue?.count == 3)
    }

    @Test("text that is only canonically equivalent keeps the cluster's bytes, in values and in keys")
    func canonicallyEquivalentTextIsNotShared() throws {
        // "é" precomposed (U+00E9) in Git, decomposed (e + U+0301) in the cluster: equal as Swift
        // strings, different to CEL, which compares code points (cel-go's string equality).
        let desired: Value = ["name": "caf\u{E9}", "caf\u{E9}": 1]
        let live = try JSON.decode(#"{"name": "cafe\u0301", "cafe\u0301": 1}"#)
        let shared = live.sharingStorage(with: desired)
        #expect(Array(shared["name"]?.stringValue?.unicodeScalars.map(\.value) ?? []) == [0x63, 0x61, 0x66, 0x65, 0x301])
        #expect(shared.mapValue?.entries.map { Array($0.key.utf8) }.contains(Array("cafe\u{301}".utf8)) == true, "the key keeps its bytes")
    }

    @Test("a plan's live objects hold only what differs from the desired ones")
    func planSharesLiveWithDesired() async throws {
        let cluster = Objects.cluster
        let objects = (0..<3).map { Objects.desired(Objects.deployment("job-\($0)"), revision: "new") }
        let state = DesiredState(revision: "new", clusters: [ClusterDesiredState(cluster: cluster, environments: ["prod"], objects: objects)])
        let syncer = Syncer(drivers: [cluster.name: AppliedAtOlderRevisionDriver(cluster: cluster)])
        let plan = await syncer.plan(state, environments: [SyncerTests.environment("prod", wave: 0, cluster: cluster.name)])
        let actions = try #require(plan.clusters.first?.actions)
        #expect(actions.count == 3)
        for action in actions {
            let desired = try #require(action.desired?.value), live = try #require(action.live?.value)
            #expect(action.kind == .none, "\(action.identity): \(action.kind) \(action.reason)")
            #expect(action.live?.revision == "older")
            #expect(mapStorage(live["spec"]) == mapStorage(desired["spec"]), "\(action.identity)'s live spec is a copy of the desired one")
        }
    }
}
