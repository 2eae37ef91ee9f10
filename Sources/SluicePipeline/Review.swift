import Dispatch
import SluiceCore
import SluicePolicy
import SluiceReport
import SluiceSpec
import SluiceSync

/// `sluice check`'s half of the flow: two revisions loaded and rendered, compared cluster by
/// cluster, and every object at the head given its verdicts, with `oldObject` the same object
/// at the base. No cluster is contacted.
public struct Review: Sendable {
    public var path: String
    public var policies: String

    public init(path: String = "", policies: String = "policies") {
        self.path = path
        self.policies = policies
    }

    public func run(base: any SourceTree, revision baseRevision: String, head: any SourceTree, revision headRevision: String) throws -> CheckReport {
        // The head is loaded and rendered after the base, so that each file the change leaves
        // alone is read and parsed once, and each placement of an unchanged job rendered once
        // (each load and each rendering runs on all cores). An error is the base's before the
        // head's, and a load's before a render's.
        let loader = SpecLoader(parsedFiles: ParsedFiles())
        let sets = try [(base, baseRevision), (head, headRevision)].map { tree, revision in
            try loader.load(from: tree, path: path, revision: revision)
        }
        let baseSpecs = sets[0], headSpecs = sets[1]
        var renderer = Renderer()
        renderer.reuse = RenderedPlacements()
        let states = try sets.map { try renderer.render($0) }
        let baseState = states[0], headState = states[1]
        let engine = try Verdicts.engine(head, policies: policies, specs: headSpecs)
        // Each cluster's subjects on their own core, in cluster order.
        let subjects = headState.clusters.concurrentMap { cluster in
            let old = RevisionDiff.objects(baseState, cluster.cluster.name)
            return cluster.objects.map { object in
                Verdicts.subject(object, replacing: old[object.identity]?.value, on: cluster.cluster, specs: headSpecs)
            }
        }.flatMap { $0 }
        let clusterNames = Set(baseState.clusters.map(\.cluster.name) + headState.clusters.map(\.cluster.name))
        let report = CheckReport(base: baseRevision, head: headRevision,
                                 clusters: clusterNames.compactMap { headSpecs.cluster(named: $0) ?? baseSpecs.cluster(named: $0) },
                                 changes: RevisionDiff.changes(base: baseState, head: headState), violations: engine.evaluate(subjects))
        Self.freeElsewhere((sets, states, subjects))
        return report
    }

    /// Lets `value` go on another thread. Two loaded and rendered revisions of a large repository
    /// are millions of small allocations, and freeing them on the caller's thread kept the report
    /// waiting (about 3 % of `check`'s time at 10,000 jobs); a command that exits after printing
    /// the report does not wait for them at all.
    static func freeElsewhere<T: Sendable>(_ value: T) {
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(value) {} }
    }
}
