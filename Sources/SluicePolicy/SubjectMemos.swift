import SluiceCEL
import SluiceSpec
import SluiceYAML
import Synchronization

/// The bindings that select each object, found once per object while the subjects of one
/// `PolicyEngine.evaluate` find what they need. The clusters that place a job alike share one
/// object, and whether a binding selects it depends on nothing but the object, its namespace
/// and the operation. It holds every object it keys by, so no address in it is reused while it
/// lives (see `StorageIdentity`). Used from all cores.
final class MatchMemo: Sendable {
    private struct Key: Hashable {
        var object: StorageIdentity
        var namespace: String?
        var operation: Operation
    }

    private let known = Mutex<[Key: (held: Value, bindings: [Int])]>([:])

    func bindings(selecting subject: PolicyEngine.Subject, of engine: PolicyEngine) -> [Int] {
        let object = subject.object ?? subject.oldObject ?? .null
        guard let identity = StorageIdentity(object) else { return engine.selectingBindings(subject) }
        let key = Key(object: identity, namespace: subject.identity.namespace, operation: subject.operation)
        if let found = known.withLock({ $0[key]?.bindings }) { return found }
        // Found outside the lock; two cores may both find it, and either answer is right.
        let found = engine.selectingBindings(subject)
        known.withLock { $0[key] = (object, found) }
        return found
    }
}

/// The `cluster` and `environment` inputs of one `PolicyEngine.evaluate`, made once per cluster
/// and environment rather than once per subject, with their CEL forms. The subjects of a cluster
/// then share one value, so what is found for one of them (its hash, its CEL form) holds for the
/// others. Used from all cores.
final class PlacementInputs: Sendable {
    private struct Environment: Equatable {
        var name: String
        var namespace: String?
        var labels: [String: String]
    }

    private struct Made {
        var value: Value
        var cel: CELValue
        init(_ value: Value) {
            self.value = value
            cel = CELBridge.cel(value)
        }
    }

    private let clusters = Mutex<[String: (spec: ClusterSpec, made: Made)]>([:])
    private let environments = Mutex<[String: (key: Environment, made: Made)]>([:])

    func cluster(_ spec: ClusterSpec) -> Value { made(spec).value }

    func environment(_ subject: PolicyEngine.Subject) -> Value { made(subject).value }

    /// The CEL forms of the subject's `cluster` and `environment`.
    func celForms(of subject: PolicyEngine.Subject) -> [SubjectInput: CELValue] {
        [.cluster: made(subject.cluster).cel, .environment: made(subject).cel]
    }

    private func made(_ spec: ClusterSpec) -> Made {
        if let held = clusters.withLock({ $0[spec.name] }), held.spec == spec { return held.made }
        let made = Made(PolicyEngine.clusterInput(spec))
        clusters.withLock { $0[spec.name] = (spec, made) }
        return made
    }

    private func made(_ subject: PolicyEngine.Subject) -> Made {
        let key = Environment(name: subject.environmentName, namespace: subject.environment?.namespace,
                              labels: subject.environment?.labels ?? [:])
        if let held = environments.withLock({ $0[key.name] }), held.key == key { return held.made }
        let made = Made(PolicyEngine.environmentInput(subject))
        environments.withLock { $0[key.name] = (key, made) }
        return made
    }
}
