import Synchronization
import SluiceCore
import SluiceYAML

/// Objects placed by the rendering of one revision, for the rendering of another revision of the
/// same repository: `sluice check` renders the base, then the head. A workload whose document is
/// one parse at both revisions (an unchanged file, see `ParsedFiles`), placed by an environment of
/// the same name and namespace with the same merge patches (one parse too), renders to the same
/// object; the head takes it with its own revision stamped instead of placing, canonicalising and
/// hashing it again.
///
/// Placements with a JSON patch are not kept: their operations are not compared. It holds every
/// value it keys by, so no storage address in a key is reused while it lives.
public final class RenderedPlacements: Sendable {
    struct Key: Hashable {
        struct Patch: Hashable {
            var value: StorageIdentity
            var location: SourceLocation
        }

        var workload: StorageIdentity
        var source: SourceLocation
        var environment: String
        var namespace: String
        var forceNamespace: Bool
        var patches: [Patch]
    }

    private struct Entry {
        /// The values whose storage the key names.
        var held: [Value]
        var object: DesiredObject
    }

    private let placed = Mutex<[Key: Entry]>([:])

    public init() {}

    /// How many placements are kept.
    public var count: Int { placed.withLock { $0.count } }

    /// The key of a placement and the values it names; `nil` when the placement cannot be named
    /// by identity (a JSON patch, a merge patch that is not a map).
    static func key(_ workload: SpecObject, patches: [EnvironmentPatch], in environment: EnvironmentSpec) -> (key: Key, held: [Value])? {
        guard let identity = StorageIdentity(workload.value) else { return nil }
        var held = [workload.value]
        var patchKeys: [Key.Patch] = []
        for patch in patches {
            guard case .merge(let value) = patch.operation, let patchIdentity = StorageIdentity(value) else { return nil }
            held.append(value)
            patchKeys.append(Key.Patch(value: patchIdentity, location: patch.location))
        }
        return (Key(workload: identity, source: workload.location, environment: environment.name, namespace: environment.namespace,
                    forceNamespace: environment.forceNamespace, patches: patchKeys), held)
    }

    /// The object kept for `key`, stamped with `revision`.
    func object(for key: Key, revision: String) -> DesiredObject? {
        guard var object = placed.withLock({ $0[key]?.object }) else { return nil }
        if object.revision != revision {
            Ownership.stampSource(&object.value, revision: revision, source: "\(key.source.file):\(key.source.line)", specHash: object.specHash)
            object.revision = revision
        }
        return object
    }

    func keep(_ object: DesiredObject, for key: Key, holding held: [Value]) {
        placed.withLock { $0[key] = Entry(held: held, object: object) }
    }
}
