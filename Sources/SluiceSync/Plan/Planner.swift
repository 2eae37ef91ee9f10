import SluiceSpec
import SluiceYAML

/// Compares the desired state of a cluster with its live state and decides the actions: a pure
/// function, so every rule here is tested without a cluster.
public struct Planner: Sendable {
    /// Delete owned objects that are no longer desired.
    public var prune: Bool
    /// Allow deleting more than half of the owned objects of a cluster in one sync.
    public var allowMassPrune: Bool
    /// Re-apply objects changed on the cluster behind Sluice's back (else they are reported as drift).
    public var selfHeal: Bool

    public init(prune: Bool = false, allowMassPrune: Bool = false, selfHeal: Bool = false) {
        self.prune = prune
        self.allowMassPrune = allowMassPrune
        self.selfHeal = selfHeal
    }

    public func plan(_ desired: ClusterDesiredState, live: [LiveObject]) -> ClusterPlan {
        let cluster = desired.cluster.name
        var liveByIdentity: [ObjectIdentity: LiveObject] = [:]
        for object in live { liveByIdentity[object.identity] = object }
        let sessionClusters = Self.sessionClusters(desired.objects.map(\.value))
        var actions = desired.objects.map { object in
            Self.markingStateSafety(action(for: object, live: liveByIdentity[object.identity], cluster: cluster,
                                           mode: FlinkDeploymentMode.of(object.value, sessionClusters: { sessionClusters[$0] }),
                                           ignoring: FieldIgnorer.fields(of: object, live: liveByIdentity[object.identity], rules: desired.ignoreRules)))
        }

        let wanted = Set(desired.objects.map(\.identity))
        let owned = live.filter(\.isPrunable)
        for object in live where object.membership == .legacy && !wanted.contains(object.identity) {
            actions.append(PlannedAction(
                cluster: cluster, identity: object.identity, kind: .orphan,
                reason: "applied by an earlier Sluice without an owner identity and no longer in Git; never pruned automatically, delete it by hand if it is not needed",
                changeClass: nil, changes: [], desired: nil, live: object))
        }
        let gone = owned.filter { !wanted.contains($0.identity) }.sorted { a, b in
            // Dependents first: the reverse of apply order.
            let (ra, rb) = (ApplyOrder.rank(of: a.value, kind: a.identity.kind), ApplyOrder.rank(of: b.value, kind: b.identity.kind))
            return ra != rb ? ra > rb : a.identity < b.identity
        }
        for object in gone {
            let deleting = Self.deletingReason(object.value)
            actions.append(PlannedAction(
                cluster: cluster, identity: object.identity, kind: prune ? .delete : .orphan,
                reason: deleting ?? (prune ? "removed from Git" : "removed from Git; not deleted because pruning is off"),
                changeClass: nil, changes: [], desired: nil, live: object))
        }
        let deletes = actions.filter { $0.kind == .delete }.count
        if deletes > 0, deletes * 2 > owned.count, !allowMassPrune {
            return ClusterPlan(cluster: desired.cluster, actions: [], failure: .massPrune(deletes: deletes, owned: owned.count, cluster: cluster))
        }
        return ClusterPlan(cluster: desired.cluster, actions: actions, failure: nil)
    }

    /// The FlinkDeployments among `objects` by name: the session clusters a FlinkSessionJob may name.
    static func sessionClusters(_ objects: [Value]) -> [String: Value] {
        var out: [String: Value] = [:]
        for object in objects where object["kind"]?.stringValue == "FlinkDeployment" {
            if let name = object[path: "metadata", "name"]?.stringValue { out[name] = object }
        }
        return out
    }

    func action(for object: DesiredObject, live: LiveObject?, cluster: String, mode: FlinkDeploymentMode = .native,
                ignoring ignoredFields: [IgnoredField] = []) -> PlannedAction {
        var step = PlannedAction(cluster: cluster, identity: object.identity, kind: .none, reason: "in sync",
                                 changeClass: nil, changes: [], desired: object, live: live)
        step.ignoredFields = ignoredFields
        // Fields left to autoscalers and ignore rules are set on create, and never changes or drift after.
        func dropIgnored() {
            let (kept, ignored) = FieldIgnorer.partition(step.changes, by: ignoredFields)
            step.changes = kept
            step.ignored += ignored
        }
        guard let live else {
            step.kind = .create
            step.reason = "not on the cluster"
            return step
        }
        if case .foreign(let owner) = live.membership {
            step.kind = .conflict
            step.reason = "\(object.identity) on \(cluster) belongs to another Sluice's ownership set (\(owner)); Sluice never takes over another instance's, cluster's or environment's objects"
            return step
        }
        guard live.isOwned else {
            step.kind = .conflict
            step.reason = "\(object.identity) exists on \(cluster) and is not managed by Sluice; Sluice never takes over or deletes what it does not own"
            return step
        }
        if live.membership == .legacy {
            var member = live
            member.membership = .member
            var adopted = action(for: object, live: member, cluster: cluster, mode: mode, ignoring: ignoredFields)
            switch adopted.kind {
            case .none:
                adopted.kind = .update
                adopted.reason = "adopt: applied by Sluice before owner identities; joins this instance's ownership set (nothing else changes)"
            case .drift:
                break
            default:
                adopted.reason += "; adopts it into this instance's ownership set"
            }
            adopted.live = live
            return adopted
        }
        if let serverDesired = live.serverDesired {
            // The cluster's own view of the desired object: differences are real, not defaults.
            step.changes = FieldDiff.changes(from: Self.intent(live.value), to: Self.intent(serverDesired))
        }
        if live.specHash == object.specHash, live.serverDesired != nil || !live.foreignFields.isEmpty {
            step.changes += Self.foreignChanges(live)
            dropIgnored()
            guard !step.changes.isEmpty else { return step }
            let managers = Set(step.changes.compactMap(\.manager)).sorted()
            let who = managers.isEmpty ? "" : " (fields added by \(managers.joined(separator: ", ")))"
            step.kind = selfHeal ? .update : .drift
            step.reason = selfHeal ? "changed on the cluster behind Sluice's back\(who): self-heal"
                                   : "changed on the cluster behind Sluice's back\(who); not healed because syncPolicy.selfHeal is off"
            return step
        }
        if live.serverDesired == nil {
            step.changes = FieldDiff.changes(from: Self.intent(live.value), to: Self.intent(object.value))
        }
        dropIgnored()
        if live.specHash == object.specHash || step.changes.isEmpty {
            step.changes = []
            return step
        }
        guard object.identity.group == KnownKinds.flinkGroup, object.kind != "FlinkStateSnapshot" else {
            step.kind = .update
            step.reason = "changed in Git"
            return step
        }
        if object.kind == "FlinkBlueGreenDeployment" { return Self.blueGreenStep(step) }
        let oldState = live.value[path: "spec", "job", "state"]?.stringValue ?? "running"
        let newState = object.value[path: "spec", "job", "state"]?.stringValue ?? "running"
        let changeClass = FlinkChangeClassifier.classify(step.changes, mode: mode)
        step.changeClass = changeClass
        switch (oldState, newState) {
        case ("running", "suspended"):
            step.kind = .suspend
            step.reason = "spec.job.state is suspended"
        case ("suspended", "running"):
            step.kind = .resume
            step.reason = "spec.job.state is running again"
        default:
            switch changeClass {
            case .savepointRedeploy:
                step.kind = .redeploy
                step.reason = "savepointRedeployNonce changed: redeploy from spec.job.initialSavepointPath"
            case .upgrade:
                let mode = object.value[path: "spec", "job", "upgradeMode"]?.stringValue ?? "stateless"
                step.kind = .upgrade
                step.reason = "spec changed: \(mode) upgrade"
            case .scale:
                let fields = step.changes.filter { FlinkChangeClassifier.classify($0, mode: mode) == .scale }.map(\.path)
                step.kind = .rescale
                step.reason = "\(fields.joined(separator: ", ")) changed (\(mode.rawValue) mode): scale"
            case .ignore:
                let nonceChanged = step.changes.contains { $0.keys == ["spec", "job", "savepointTriggerNonce"] }
                step.kind = nonceChanged ? .savepoint : .update
                step.reason = nonceChanged ? "savepointTriggerNonce changed: take a savepoint" : "changed without restarting the job"
            }
        }
        return step
    }

    /// Fields other managers added, as removals that self-heal carries out.
    static func foreignChanges(_ live: LiveObject) -> [FieldChange] {
        live.foreignFields.map { field in
            FieldChange(path: FieldDiff.path(field.keys), keys: field.keys, old: field.value?.withoutLocations, new: nil, manager: field.manager)
        }
    }

    /// `deleting (waiting for finalizers: …)` for an object the API server is deleting.
    static func deletingReason(_ value: Value) -> String? {
        guard value[path: "metadata", "deletionTimestamp"] != nil else { return nil }
        let finalizers = (value[path: "metadata", "finalizers"]?.listValue ?? []).compactMap(\.stringValue)
        return finalizers.isEmpty ? "deleting (waiting for the API server to remove it)" : "deleting (waiting for finalizers: \(finalizers.joined(separator: ", ")))"
    }

    /// The object without the marks that change with every commit, so only intent is compared.
    static func intent(_ value: Value) -> Value {
        guard case .map(var root) = value.kind, var metadata = root["metadata"]?.mapValue else { return value }
        if var annotations = metadata["annotations"]?.mapValue {
            annotations.removeValue(forKey: Ownership.revisionAnnotation)
            annotations.removeValue(forKey: Ownership.sourceAnnotation)
            annotations.removeValue(forKey: Ownership.specHashAnnotation)
            metadata["annotations"] = annotations.isEmpty ? nil : .map(annotations)
        }
        root["metadata"] = .map(metadata)
        return .map(root)
    }
}
