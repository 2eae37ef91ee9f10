import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceSpec
import SluiceYAML

/// The `kubernetes` driver: objects are applied server-side (field manager `sluice`) and the
/// Flink Kubernetes Operator runs the FlinkDeployments.
///
/// Live state is every object carrying Sluice's managed-by label, across every kind Sluice has
/// applied to the cluster (remembered in the state directory) and every kind desired now, plus a
/// dry-run apply of each desired object that exists, so the plan compares the cluster's view of
/// the desired object with the live one and server defaults never show up as changes.
public struct KubernetesDriver: ClusterDriver {
    public let cluster: ClusterSpec
    public let client: KubernetesClient
    private let kinds: AppliedKinds
    /// Namespaces known to exist, so a wave of applies checks each one once.
    private let namespaces = EnsuredNamespaces()
    /// Requests in flight at once while reading live state and applying waves of objects.
    public var parallelism: Int

    public init(cluster: ClusterSpec, client: KubernetesClient, kinds: AppliedKinds, parallelism: Int = 16) {
        self.cluster = cluster
        self.client = client
        self.kinds = kinds
        self.parallelism = parallelism
    }

    public var maxConcurrentActions: Int { parallelism }

    static let ownedSelector = "\(Ownership.managedByLabel)=\(Ownership.managedByValue)"

    public func liveState(desired: [DesiredObject]) async throws -> [LiveObject] {
        var kindSet = Set(kinds.all)
        for object in desired {
            if let apiVersion = object.value["apiVersion"]?.stringValue { kindSet.insert(AppliedKinds.Kind(apiVersion: apiVersion, kind: object.kind)) }
        }
        // Every owned object, kind by kind; a kind the server does not serve (a CRD removed) has none.
        var owned: [ObjectIdentity: Value] = [:]
        for kind in kindSet.sorted(by: { ($0.apiVersion, $0.kind) < ($1.apiVersion, $1.kind) }) {
            let objects: [Value]
            do {
                objects = try await client.list(apiVersion: kind.apiVersion, kind: kind.kind, namespace: nil, labelSelector: Self.ownedSelector)
            } catch let error as KubernetesError where error.status == 404 {
                continue
            }
            for object in objects {
                if let identity = Self.identity(of: object) { owned[identity] = object }
            }
        }
        let desiredByIdentity = Dictionary(desired.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        let ownedObjects = owned
        // Desired objects: the server's view of them (dry run) where they exist and are ours, and a
        // plain read where they are not found by label (to see an unowned object in the way).
        let reads = try await desired.concurrentMap(limit: parallelism) { object -> LiveObject? in
            if let live = ownedObjects[object.identity] {
                // Forced, because the question is what *our* object looks like to the server, even
                // where another manager took a field over; a dry run changes nothing.
                let server = try? await client.apply(object.value, force: true, dryRun: true)
                return LiveObject(identity: object.identity, value: Self.normalized(live), health: Self.health(live),
                                  serverDesired: server.map(Self.normalized))
            }
            guard let ref = ObjectReference(object.value), let existing = try await client.get(ref) else { return nil }
            return LiveObject(identity: object.identity, value: Self.normalized(existing), health: Self.health(existing))
        }
        var live = reads.compactMap { $0 }
        for (identity, object) in owned where desiredByIdentity[identity] == nil {
            live.append(LiveObject(identity: identity, value: Self.normalized(object), health: Self.health(object)))
        }
        return live
    }

    public func apply(_ action: PlannedAction) async throws -> ActionOutcome {
        switch action.kind {
        case .delete:
            guard let live = action.live, let ref = ObjectReference(live.value) else { return ActionOutcome(succeeded: true, message: "nothing to delete") }
            try await client.delete(ref)
            return ActionOutcome(succeeded: true, message: "deleted")
        case .none, .orphan, .conflict, .drift:
            return ActionOutcome(succeeded: true, message: "nothing to do")
        default:
            guard let desired = action.desired else { return ActionOutcome(succeeded: true, message: "nothing to do") }
            if let namespace = desired.identity.namespace, namespaces.needs(namespace) {
                try await client.ensureNamespace(namespace, labels: [Ownership.managedByLabel: Ownership.managedByValue])
                namespaces.ensured(namespace)
            }
            if let apiVersion = desired.value["apiVersion"]?.stringValue {
                try kinds.insert(AppliedKinds.Kind(apiVersion: apiVersion, kind: desired.kind))
            }
            // Self-heal takes fields back from whoever changed them; any other apply reports a
            // conflict with another manager instead of overwriting its fields.
            let heal = action.kind == .update && action.live?.specHash == desired.specHash
            _ = try await client.apply(desired.value, force: heal)
            return ActionOutcome(succeeded: true, message: action.kind == .create ? "created (server-side apply)" : "applied (server-side apply)")
        }
    }

    public func health(of identity: ObjectIdentity) async throws -> Health {
        guard let kind = kinds.all.first(where: { $0.kind == identity.kind && ObjectIdentity.group(ofAPIVersion: $0.apiVersion) == identity.group }) else {
            return Health(.unknown, "kind \(identity.groupKind) was never applied to \(cluster.name)")
        }
        let ref = ObjectReference(apiVersion: kind.apiVersion, kind: identity.kind, namespace: identity.namespace, name: identity.name)
        guard let object = try await client.get(ref) else { return Health(.missing, "\(identity) is not on \(cluster.name)") }
        return Self.health(object) ?? Health(.unknown, "no health rule")
    }

    static func health(_ object: Value) -> Health? {
        let (status, reason) = KubernetesHealth.assess(object)
        return Health(Health.Status(rawValue: status) ?? .unknown, reason)
    }

    static func identity(of object: Value) -> ObjectIdentity? {
        guard let apiVersion = object["apiVersion"]?.stringValue, let kind = object["kind"]?.stringValue,
              let name = object[path: "metadata", "name"]?.stringValue else { return nil }
        return ObjectIdentity(group: ObjectIdentity.group(ofAPIVersion: apiVersion), kind: kind,
                              namespace: object[path: "metadata", "namespace"]?.stringValue, name: name)
    }

    /// The object without what the server adds for its own bookkeeping, so that it compares with
    /// what Sluice applies.
    static func normalized(_ object: Value) -> Value {
        guard case .map(var root) = object.kind else { return object }
        root.removeValue(forKey: "status")
        if var metadata = root["metadata"]?.mapValue {
            for key in ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"] {
                metadata.removeValue(forKey: key)
            }
            root["metadata"] = .map(metadata)
        }
        return .map(root)
    }
}

/// The kinds Sluice has applied to a cluster, so owned objects of a kind no longer in Git are
/// still found for prune and drift. One file per cluster in the state directory.
public final class AppliedKinds: @unchecked Sendable {
    public struct Kind: Codable, Hashable, Sendable {
        public var apiVersion: String
        public var kind: String
    }

    private let file: URL
    private let lock = NSLock()
    private var kinds: Set<Kind>

    public init(directory: URL, cluster: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = directory.appendingPathComponent("\(cluster).json")
        kinds = Set((try? JSONDecoder().decode([Kind].self, from: Data(contentsOf: file))) ?? [])
    }

    public var all: [Kind] { lock.withLock { Array(kinds) } }

    public func insert(_ kind: Kind) throws {
        try lock.withLock {
            guard kinds.insert(kind).inserted else { return }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(kinds.sorted { ($0.apiVersion, $0.kind) < ($1.apiVersion, $1.kind) }).write(to: file, options: .atomic)
        }
    }
}

/// The namespaces a driver has made sure of during one command.
final class EnsuredNamespaces: @unchecked Sendable {
    private let lock = NSLock()
    private var known: Set<String> = []

    func needs(_ namespace: String) -> Bool { lock.withLock { !known.contains(namespace) } }
    func ensured(_ namespace: String) { lock.withLock { _ = known.insert(namespace) } }
}
