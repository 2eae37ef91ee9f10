import SluiceCore
import SluiceSpec
import SluiceYAML

/// What a change between two revisions does to one object on one cluster.
public struct ObjectChange: Sendable {
    public enum Kind: String, Sendable, Hashable, Codable { case added, changed, removed }

    public var kind: Kind
    public var cluster: String
    public var identity: ObjectIdentity
    public var environment: String
    /// Where the object comes from at the head revision (at the base one when removed).
    public var source: DesiredObject
    public var changes: [FieldChange]
    /// For Flink jobs, how disruptive the change is.
    public var changeClass: ChangeClass?
    /// Changes in fields Sluice leaves to autoscalers and ignore rules: set on create, never applied after.
    public var ignored: [IgnoredChange] = []
    /// Ignore rules by field manager that cover the object (which fields they hide shows on the cluster).
    public var ignoredByManagers: [String] = []
    /// For a FlinkBlueGreenDeployment, what the change does to its blue and green children.
    public var blueGreenChange: BlueGreenChange?
}

/// Compares the desired state at two revisions, cluster by cluster: what a pull request does.
public enum RevisionDiff {
    /// Each cluster is compared on its own, so the clusters are compared on all cores; the changes
    /// come out in cluster order all the same.
    public static func changes(base: DesiredState, head: DesiredState) -> [ObjectChange] {
        let clusters = Set(base.clusters.map(\.cluster.name)).union(head.clusters.map(\.cluster.name)).sorted()
        return clusters.concurrentMap { name in changes(base: base, head: head, cluster: name) }.flatMap { $0 }
    }

    /// What the change does on one cluster.
    static func changes(base: DesiredState, head: DesiredState, cluster name: String) -> [ObjectChange] {
        var out: [ObjectChange] = []
        let old = objects(base, name)
        let new = objects(head, name)
        let sessionClusters = Planner.sessionClusters(new.values.map(\.value))
        let headState = head.clusters.first(where: { $0.cluster.name == name })
        for object in headState?.objects ?? [] {
            guard let before = old[object.identity] else {
                out.append(ObjectChange(kind: .added, cluster: name, identity: object.identity, environment: object.environment,
                                        source: object, changes: FieldDiff.changes(from: nil, to: Planner.intent(object.value)), changeClass: nil))
                continue
            }
            guard before.specHash != object.specHash else { continue }
            let all = FieldDiff.changes(from: Planner.intent(before.value), to: Planner.intent(object.value))
            guard !all.isEmpty else { continue }
            let rules = headState?.ignoreRules ?? []
            let (changes, ignored) = FieldIgnorer.partition(all, by: FieldIgnorer.reviewFields(of: object, among: headState?.objects ?? [], rules: rules))
            let flink = object.identity.group == KnownKinds.flinkGroup
            let blueGreen = object.kind == "FlinkBlueGreenDeployment" ? BlueGreenChangeClassifier.classify(changes) : nil
            var change = ObjectChange(kind: .changed, cluster: name, identity: object.identity, environment: object.environment,
                                      source: object, changes: changes, changeClass: blueGreen?.changeClass ?? (flink ? FlinkChangeClassifier.classify(
                                          changes, mode: .of(object.value, sessionClusters: { sessionClusters[$0] })) : nil))
            change.blueGreenChange = blueGreen
            change.ignored = ignored
            change.ignoredByManagers = FieldIgnorer.managerRules(of: object, rules: rules)
            out.append(change)
        }
        for object in base.clusters.first(where: { $0.cluster.name == name })?.objects ?? [] where new[object.identity] == nil {
            out.append(ObjectChange(kind: .removed, cluster: name, identity: object.identity, environment: object.environment,
                                    source: object, changes: [], changeClass: nil))
        }
        return out
    }

    /// The object at `identity` in `base`, for policies that look at `oldObject`.
    public static func objects(_ state: DesiredState, _ cluster: String) -> [ObjectIdentity: DesiredObject] {
        let objects = state.clusters.first(where: { $0.cluster.name == cluster })?.objects ?? []
        var out = [ObjectIdentity: DesiredObject](minimumCapacity: objects.count)
        for object in objects { out[object.identity] = object }
        return out
    }
}
