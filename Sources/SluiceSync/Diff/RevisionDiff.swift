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
    /// For a FlinkBlueGreenDeployment, what the change does to its blue and green children.
    public var blueGreenChange: BlueGreenChange?
}

/// Compares the desired state at two revisions, cluster by cluster: what a pull request does.
public enum RevisionDiff {
    public static func changes(base: DesiredState, head: DesiredState) -> [ObjectChange] {
        var out: [ObjectChange] = []
        let clusters = Set(base.clusters.map(\.cluster.name)).union(head.clusters.map(\.cluster.name)).sorted()
        for name in clusters {
            let old = objects(base, name)
            let new = objects(head, name)
            let sessionClusters = Planner.sessionClusters(new.values.map(\.value))
            for object in head.clusters.first(where: { $0.cluster.name == name })?.objects ?? [] {
                guard let before = old[object.identity] else {
                    out.append(ObjectChange(kind: .added, cluster: name, identity: object.identity, environment: object.environment,
                                            source: object, changes: FieldDiff.changes(from: nil, to: Planner.intent(object.value)), changeClass: nil))
                    continue
                }
                guard before.specHash != object.specHash else { continue }
                let changes = FieldDiff.changes(from: Planner.intent(before.value), to: Planner.intent(object.value))
                guard !changes.isEmpty else { continue }
                let flink = object.identity.group == KnownKinds.flinkGroup
                if object.kind == "FlinkBlueGreenDeployment" {
                    let change = BlueGreenChangeClassifier.classify(changes)
                    out.append(ObjectChange(kind: .changed, cluster: name, identity: object.identity, environment: object.environment,
                                            source: object, changes: changes, changeClass: change.changeClass, blueGreenChange: change))
                    continue
                }
                out.append(ObjectChange(kind: .changed, cluster: name, identity: object.identity, environment: object.environment,
                                        source: object, changes: changes, changeClass: flink ? FlinkChangeClassifier.classify(
                                            changes, mode: .of(object.value, sessionClusters: { sessionClusters[$0] })) : nil))
            }
            for object in base.clusters.first(where: { $0.cluster.name == name })?.objects ?? [] where new[object.identity] == nil {
                out.append(ObjectChange(kind: .removed, cluster: name, identity: object.identity, environment: object.environment,
                                        source: object, changes: [], changeClass: nil))
            }
        }
        return out
    }

    /// The object at `identity` in `base`, for policies that look at `oldObject`.
    public static func objects(_ state: DesiredState, _ cluster: String) -> [ObjectIdentity: DesiredObject] {
        var out: [ObjectIdentity: DesiredObject] = [:]
        for object in state.clusters.first(where: { $0.cluster.name == cluster })?.objects ?? [] { out[object.identity] = object }
        return out
    }
}
