import Foundation
import Logging
import SluiceCore
import SluiceKubernetes
import SluiceSpec
import SluiceYAML

/// The `kubernetes` driver: objects are applied server-side (field manager `sluice`) and the
/// Flink Kubernetes Operator runs the FlinkDeployments.
///
/// Ownership follows Kubernetes' ApplySet convention (KEP-3659, as `kubectl apply --prune
/// --applyset` uses it): every object is labelled `applyset.kubernetes.io/part-of` with the id
/// of the set of its Sluice instance, Cluster and Environment, whose parent ConfigMap lives in the
/// environment's namespace. Live state is the members of this instance's sets on the cluster,
/// kind by kind, plus a read of every desired object not among them (to see an object in the
/// way). Only members are ever pruned; objects an earlier Sluice applied with only the
/// managed-by label are adopted when still desired and never deleted by the migration.
///
/// A dry-run apply of each desired object shows the cluster's view of it (server defaults never
/// show up as changes); it is skipped where the object verifiably has not changed since Sluice
/// last applied or checked it (`KubernetesLiveCache`).
public struct KubernetesDriver: ClusterDriver {
    public let cluster: ClusterSpec
    public let client: KubernetesClient
    private let kinds: AppliedKinds
    /// Namespaces known to exist, so a wave of applies checks each one once.
    private let namespaces = EnsuredNamespaces()
    /// Requests in flight at once while reading live state and applying waves of objects.
    public var parallelism: Int
    /// Which Sluice this is, for owner identities: two instances (two teams' spec repositories)
    /// on one API server never prune each other's objects.
    public var instance: String
    let state = DriverState()
    let cache: KubernetesLiveCache?
    /// Keeps a second Sluice, on any host, off the cluster while this one syncs it.
    public let lease: KubernetesClusterLease
    /// What the API server's service proxy refused lately (job readings), kept across drivers.
    public var proxyMemory: ServiceProxyMemory = .shared
    /// Where the driver says why a job reading left something unknown.
    public var logger = Logger(label: "sluice.kubernetes")

    /// `$SLUICE_INSTANCE`, else `sluice`.
    public static var defaultInstance: String {
        let value = ProcessInfo.processInfo.environment["SLUICE_INSTANCE"] ?? ""
        return value.isEmpty ? "sluice" : value
    }

    public init(cluster: ClusterSpec, client: KubernetesClient, kinds: AppliedKinds, parallelism: Int = 16,
                instance: String = KubernetesDriver.defaultInstance, cache: KubernetesLiveCache? = nil) {
        self.cluster = cluster
        self.client = client
        self.kinds = kinds
        self.parallelism = parallelism
        self.instance = instance
        self.cache = cache
        lease = KubernetesClusterLease(cluster: cluster.name, client: client, namespace: cluster.kubernetes?.lockNamespace ?? client.defaultNamespace,
                                       name: KubernetesClusterLease.leaseName(cluster: cluster.name, instance: instance))
    }

    public var maxConcurrentActions: Int { parallelism }

    static let legacySelector = "\(Ownership.managedByLabel)=\(Ownership.managedByValue),!\(ApplySet.partOfLabel)"

    var connection: ClusterSpec.KubernetesConnection { cluster.kubernetes ?? ClusterSpec.KubernetesConnection() }

    // MARK: Live state

    public func liveState(desired: [DesiredObject]) async throws -> [LiveObject] {
        let sets = Self.applySets(for: desired, instance: instance, cluster: cluster.name)
        state.setApplySets(sets)
        let desiredByIdentity = Dictionary(desired.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        var scopeNamespaces = Set(desired.compactMap(\.identity.namespace)).union(sets.values.map(\.namespace))
        let ourEnvironments = Set(desired.map(\.environment))

        // The parents of every set this instance made on this cluster, also those of
        // environments no longer in Git (their members are still ours to prune).
        var parents: [String: ApplySet.Found] = [:]
        let scopeSelector = "\(ApplySet.scopeLabel)=\(ApplySet.scope(instance: instance, cluster: cluster.name))"
        try await list(apiVersion: "v1", kind: "ConfigMap", selector: scopeSelector, namespaces: scopeNamespaces) { object in
            let found = try ApplySet.found(object)
            guard found.set.instance == instance, found.set.cluster == cluster.name else { return }
            parents[found.set.id] = found
        }
        state.setParents(parents)
        for found in parents.values { scopeNamespaces.formUnion(found.namespaces) }
        let ids = Set(sets.values.map(\.id)).union(parents.keys)

        var kindSet = Set(kinds.all)
        for object in desired {
            if let apiVersion = object.value["apiVersion"]?.stringValue { kindSet.insert(AppliedKinds.Kind(apiVersion: apiVersion, kind: object.kind)) }
        }
        let knownGroupKinds = Set(kindSet.map { ApplySet.groupKind(kind: $0.kind, group: ObjectIdentity.group(ofAPIVersion: $0.apiVersion)) })
        for groupKind in Set(parents.values.flatMap(\.groupKinds)).subtracting(knownGroupKinds) {
            guard let (group, kind) = ApplySet.parseGroupKind(groupKind),
                  let apiVersion = try await client.preferredAPIVersion(group: group) else { continue }
            kindSet.insert(AppliedKinds.Kind(apiVersion: apiVersion, kind: kind))
        }

        // Members and pre-ApplySet objects, kind by kind, page by page: only a summary of each
        // object is kept (streamed), so a large cluster does not sit in memory twice.
        var found: [ObjectIdentity: Found] = [:]
        let paths = FieldPathInterner()
        let memberSelector = "\(ApplySet.partOfLabel) in (\(ids.sorted().joined(separator: ",")))"
        for kind in kindSet.sorted(by: { ($0.apiVersion, $0.kind) < ($1.apiVersion, $1.kind) }) {
            for (selector, membership) in [(memberSelector, LiveObject.Membership.member), (Self.legacySelector, .legacy)] {
                if membership == .member, ids.isEmpty { continue }
                do {
                    try await list(apiVersion: kind.apiVersion, kind: kind.kind, selector: selector, namespaces: scopeNamespaces) { object in
                        guard let identity = Self.identity(of: object) else { return }
                        if membership == .legacy, desiredByIdentity[identity] == nil,
                           !ourEnvironments.contains(object[path: "metadata", "labels", Ownership.environmentLabel]?.stringValue ?? "") {
                            return  // another team's leftovers: not ours to report
                        }
                        found[identity] = summary(object, membership: membership, desired: desiredByIdentity[identity], paths: paths)
                    }
                } catch let error as KubernetesError where error.status == 404 {
                    continue  // a kind the server does not serve (a CRD removed) has none
                }
            }
        }
        let summaries = found
        let reads = try await desired.concurrentMap(limit: parallelism) { object -> LiveObject? in
            if let seen = summaries[object.identity] {
                guard seen.needsDryRun else { return seen.live }
                // Forced, because the question is what *our* object looks like to the server, even
                // where another manager took a field over; a dry run changes nothing.
                let body = stamped(object)
                guard let server = try? await client.apply(body, force: true, dryRun: true) else { return seen.live }
                var live = seen.live
                live.serverDesired = Self.normalized(server)
                if seen.membership == .member, Planner.intent(Self.normalized(server)) == Planner.intent(live.value) {
                    cache?.verified(object.identity, specHash: object.specHash, live: seen.raw, fieldManager: client.fieldManager)
                }
                return live
            }
            guard let ref = ObjectReference(object.value), let existing = try await client.get(ref) else { return nil }
            var live = LiveObject(identity: object.identity, value: Self.normalized(existing), health: KubernetesHealth.assess(existing),
                                  membership: membership(of: existing))
            live.managedFields = Self.fieldsByManager(existing)
            live.resourceVersion = existing[path: "metadata", "resourceVersion"]?.stringValue
            return live
        }
        var live = reads.compactMap { $0 }
        for (identity, seen) in found where desiredByIdentity[identity] == nil {
            live.append(seen.live)
        }
        try await markScaleOwners(&live, desired: desired)
        try? cache?.save()
        return live
    }

    /// What the plan needs of one listed object.
    struct Found {
        var live: LiveObject
        var membership: LiveObject.Membership
        var needsDryRun: Bool
        /// The object as listed, kept only when a dry run follows (for the cache).
        var raw: Value
    }

    private func summary(_ object: Value, membership: LiveObject.Membership, desired: DesiredObject?,
                         paths: FieldPathInterner) -> Found {
        let identity = Self.identity(of: object)!
        let normalized = Self.normalized(object)
        var live = LiveObject(identity: identity, value: normalized, health: KubernetesHealth.assess(object), membership: membership)
        live.managedFields = Self.fieldsByManager(object, paths: paths)
        live.resourceVersion = object[path: "metadata", "resourceVersion"]?.stringValue
        guard let desired else { return Found(live: live, membership: membership, needsDryRun: false, raw: .null) }
        if membership == .member {
            live.foreignFields = ManagedFields.foreignFields(live: object, desired: stamped(desired), fieldManager: client.fieldManager)
        }
        if membership == .member, let cache, cache.isUnchanged(identity, specHash: desired.specHash, live: object, fieldManager: client.fieldManager) {
            // Verified equal to this spec before, and nothing but Sluice (and status writers)
            // has touched it since: the desired object stands in for the live one.
            live.value = desired.value
            return Found(live: live, membership: membership, needsDryRun: false, raw: .null)
        }
        return Found(live: live, membership: membership, needsDryRun: true, raw: object)
    }

    /// The ownership an object on the cluster carries, seen from this instance.
    func membership(of object: Value) -> LiveObject.Membership? {
        guard let partOf = object[path: "metadata", "labels", ApplySet.partOfLabel]?.stringValue else {
            return Ownership.isOwned(object) ? .legacy : nil
        }
        let ours = Set(state.applySets.values.map(\.id)).union(state.parents.keys)
        return ours.contains(partOf) ? .member : .foreign(partOf)
    }

    /// Lists across all namespaces, or namespace by namespace when the Cluster says so or the
    /// server forbids listing across all of them (then this driver stays namespaced).
    func list(apiVersion: String, kind: String, selector: String, namespaces: Set<String>,
                      each: (Value) throws -> Void) async throws {
        if connection.scope == .cluster, !state.namespaced {
            do {
                try await client.list(apiVersion: apiVersion, kind: kind, namespace: nil, labelSelector: selector, each: each)
                return
            } catch let error as KubernetesError where error.status == 403 && error.scope == .allNamespaces {
                state.namespaced = true
            }
        }
        let resource = try await client.resource(apiVersion: apiVersion, kind: kind)
        guard resource.namespaced else {
            do {
                try await client.list(apiVersion: apiVersion, kind: kind, namespace: nil, labelSelector: selector, each: each)
            } catch let error as KubernetesError where error.status == 403 {
                // Namespaced credentials see no cluster-scoped objects; Sluice cannot own any there.
            }
            return
        }
        for namespace in namespaces.sorted() {
            try await client.list(apiVersion: apiVersion, kind: kind, namespace: namespace, labelSelector: selector, each: each)
        }
    }

    /// Makes sure a namespace exists; credentials that may not manage namespaces (namespaced
    /// operation) rely on it existing, and the apply that follows says so if it does not.
    private func ensureNamespace(_ namespace: String) async throws {
        guard namespaces.needs(namespace) else { return }
        if connection.scope == .cluster, !state.namespaced {
            do {
                try await client.ensureNamespace(namespace, labels: [Ownership.managedByLabel: Ownership.managedByValue])
            } catch let error as KubernetesError where error.status == 403 {
                state.namespaced = true
            }
        }
        namespaces.ensured(namespace)
    }

    /// One ApplySet per environment of the desired objects, its parent in the namespace that
    /// environment's objects use (the first, for the rare environment of several).
    static func applySets(for desired: [DesiredObject], instance: String, cluster: String) -> [String: ApplySet] {
        var namespaces: [String: String] = [:]
        for object in desired {
            if let namespace = object.identity.namespace, namespaces[object.environment] == nil { namespaces[object.environment] = namespace }
        }
        var sets: [String: ApplySet] = [:]
        for environment in Set(desired.map(\.environment)) {
            sets[environment] = ApplySet(instance: instance, cluster: cluster, environment: environment, namespace: namespaces[environment] ?? "default")
        }
        return sets
    }

    /// The desired object with its ApplySet membership label.
    func stamped(_ object: DesiredObject) -> Value {
        guard let set = state.applySets[object.environment] else { return object.value }
        var value = object.value
        guard case .map(var root) = value.kind else { return value }
        var metadata = root["metadata"]?.mapValue ?? Mapping()
        var labels = metadata["labels"]?.mapValue ?? Mapping()
        labels[ApplySet.partOfLabel] = .string(set.id)
        metadata["labels"] = .map(labels)
        root["metadata"] = .map(metadata)
        value.kind = .map(root)
        return value
    }

    // MARK: Apply

    public func apply(_ action: PlannedAction) async throws -> ActionOutcome {
        try await lease.checkHeld()
        switch action.kind {
        case .delete:
            guard let live = action.live, let ref = ObjectReference(live.value) else { return ActionOutcome(.unchanged, "nothing to delete") }
            if live.value[path: "metadata", "deletionTimestamp"] == nil {
                try await client.delete(ref, propagation: connection.deletePropagation.rawValue)
            }
            cache?.forget(live.identity)
            // Finalizers (the Flink operator's, for one) keep the object until their controller
            // lets go: the sync's gate waits for it to be gone.
            guard let object = try await client.get(ref) else { return ActionOutcome(.applied, "deleted") }
            var outcome = ActionOutcome(.applied, Self.deletingReason(object))
            outcome.awaitingRemoval = true
            return outcome
        case .none, .orphan, .conflict, .drift:
            return .nothingToDo(action.kind)
        default:
            guard let desired = action.desired else { return ActionOutcome(.skipped, "nothing to do") }
            if let namespace = desired.identity.namespace { try await ensureNamespace(namespace) }
            if let apiVersion = desired.value["apiVersion"]?.stringValue {
                try kinds.insert(AppliedKinds.Kind(apiVersion: apiVersion, kind: desired.kind))
            }
            try await ensureParent(for: desired)
            // Self-heal takes fields back from whoever changed them; any other apply reports a
            // conflict with another manager instead of overwriting its fields.
            let heal = action.kind == .update && action.live?.specHash == desired.specHash
            var body = stamped(desired)
            if let live = action.live, !action.ignoredFields.isEmpty {
                // Fields left to an autoscaler or an ignore rule keep what the cluster has.
                body = FieldIgnorer.body(body, keepingLive: live.value, fields: action.ignoredFields)
            }
            let foreign = action.changes.filter { $0.manager != nil }
            if heal, !foreign.isEmpty, let live = action.live {
                try await removeForeignFields(foreign, from: live)
            }
            let result = try await client.apply(body, force: heal || action.live?.membership == .legacy)
            cache?.verified(desired.identity, specHash: desired.specHash, live: result, fieldManager: client.fieldManager)
            let adopted = action.live?.membership == .legacy ? " and adopted into ApplySet \(state.applySets[desired.environment]?.name ?? "")" : ""
            return ActionOutcome(.applied, (action.kind == .create ? "created (server-side apply)" : "applied (server-side apply)") + adopted)
        }
    }

    /// Creates or updates the parent of the desired object's set before the object joins it, with
    /// every group-kind and namespace it will hold, as kubectl does before applying members.
    private func ensureParent(for desired: DesiredObject) async throws {
        guard let set = state.applySets[desired.environment] else { return }
        let groupKind = ApplySet.groupKind(kind: desired.kind, group: desired.identity.group)
        @Sendable func covers(_ found: ApplySet.Found?) -> Bool {
            guard let found else { return false }
            return found.groupKinds.contains(groupKind) && (desired.identity.namespace.map(found.namespaces.contains) ?? true)
        }
        guard !covers(state.parents[set.id]) else { return }
        try await state.parentLock.run {
            let current = state.parents[set.id]
            var groupKinds = current?.groupKinds ?? []
            var memberNamespaces = current?.namespaces ?? [set.namespace]
            guard !covers(current) else { return }
            groupKinds.insert(groupKind)
            if let namespace = desired.identity.namespace { memberNamespaces.insert(namespace) }
            try await ensureNamespace(set.namespace)
            let applied = try await client.apply(set.parent(groupKinds: groupKinds, namespaces: memberNamespaces), force: true)
            state.setParent(try ApplySet.found(applied))
        }
    }

    public func close() async {
        try? cache?.save()
        await lease.release()
    }

    public func lockShared(command: String, wait: Duration) async throws {
        try await lease.acquire(.current(command), wait: wait)
    }

    static func deletingReason(_ object: Value) -> String {
        let finalizers = KubernetesClient.pendingFinalizers(object) ?? []
        return finalizers.isEmpty ? "deleting (waiting for the API server to remove it)" : "deleting (waiting for finalizers: \(finalizers.joined(separator: ", ")))"
    }

    // MARK: Health

    public func health(of identity: ObjectIdentity) async throws -> Health {
        guard let kind = kinds.all.first(where: { $0.kind == identity.kind && ObjectIdentity.group(ofAPIVersion: $0.apiVersion) == identity.group }) else {
            return Health(.unknown, "kind \(identity.groupKind) was never applied to \(cluster.name)")
        }
        let ref = ObjectReference(apiVersion: kind.apiVersion, kind: identity.kind, namespace: identity.namespace, name: identity.name)
        guard let object = try await client.get(ref) else { return Health(.missing, "\(identity) is not on \(cluster.name)") }
        if KubernetesClient.pendingFinalizers(object) != nil { return Health(.progressing, Self.deletingReason(object)) }
        return KubernetesHealth.assess(object)
    }

    static func identity(of object: Value) -> ObjectIdentity? {
        guard let apiVersion = object["apiVersion"]?.stringValue, let kind = object["kind"]?.stringValue,
              let name = object[path: "metadata", "name"]?.stringValue else { return nil }
        return ObjectIdentity(group: ObjectIdentity.group(ofAPIVersion: apiVersion), kind: kind,
                              namespace: object[path: "metadata", "namespace"]?.stringValue, name: name)
    }

    /// The object without what the server adds for its own bookkeeping and without the ApplySet
    /// label (membership is carried separately), so that it compares with what Sluice renders.
    static func normalized(_ object: Value) -> Value {
        guard case .map(var root) = object.kind else { return object }
        root.removeValue(forKey: "status")
        if var metadata = root["metadata"]?.mapValue {
            for key in ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"] {
                metadata.removeValue(forKey: key)
            }
            if var labels = metadata["labels"]?.mapValue, labels[ApplySet.partOfLabel] != nil {
                labels.removeValue(forKey: ApplySet.partOfLabel)
                metadata["labels"] = labels.isEmpty ? nil : .map(labels)
            }
            root["metadata"] = .map(metadata)
        }
        return .map(root)
    }
}

/// What one driver learns while it runs: its ApplySets, their parents, whether it had to fall
/// back to namespaced listing.
final class DriverState: @unchecked Sendable {
    private let lock = NSLock()
    private var _applySets: [String: ApplySet] = [:]
    private var _parents: [String: ApplySet.Found] = [:]
    private var _namespaced = false
    let parentLock = AsyncLock()

    var applySets: [String: ApplySet] { lock.withLock { _applySets } }
    var parents: [String: ApplySet.Found] { lock.withLock { _parents } }
    var namespaced: Bool {
        get { lock.withLock { _namespaced } }
        set { lock.withLock { _namespaced = newValue } }
    }

    /// This cluster serves no FlinkStateSnapshot kind (learnt from discovery; kept for the driver's life).
    var stateSnapshotsAbsent: Bool {
        get { lock.withLock { _stateSnapshotsAbsent } }
        set { lock.withLock { _stateSnapshotsAbsent = newValue } }
    }
    private var _stateSnapshotsAbsent = false

    func setApplySets(_ sets: [String: ApplySet]) { lock.withLock { _applySets = sets } }
    func setParents(_ parents: [String: ApplySet.Found]) { lock.withLock { _parents = parents } }
    func setParent(_ found: ApplySet.Found) { lock.withLock { _parents[found.set.id] = found } }
}

/// One task at a time through an async section.
actor AsyncLock {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { waiters.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
        return try await body()
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
