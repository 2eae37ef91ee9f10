import Foundation
import SluiceCore
import SluiceSpec
import SluiceSync
import SluiceYAML

/// What a long journal adds to planning: the plan of `changes` changed objects with an empty
/// journal, then with `records` records written through the journal's own API (so it rotates as
/// a running Sluice's does), each opened fresh as a new command would.
enum JournalBenchmark {
    /// A cluster whose live state is every desired object at an older spec.
    struct StaleDriver: ClusterDriver {
        let cluster: ClusterSpec
        let live: [LiveObject]
        func liveState(desired: [DesiredObject]) async throws -> [LiveObject] { live }
        func apply(_ action: PlannedAction) async throws -> ActionOutcome { ActionOutcome(.applied, "") }
        func health(of identity: ObjectIdentity) async throws -> Health { Health(.healthy, "") }
    }

    static func run(changes: Int, records: Int) async throws {
        let cluster = ClusterSpec(name: "c1", labels: [:], tier: .public, driver: .kubernetes, kubernetes: nil, flink: nil, runtime: nil,
                                  location: SourceLocation(file: "c.yaml", line: 1, column: 1))
        var desired: [DesiredObject] = [], live: [LiveObject] = []
        for i in 0..<changes {
            func object(_ data: String) -> Value {
                var labels = Mapping(), annotations = Mapping()
                labels[Ownership.managedByLabel] = .string(Ownership.managedByValue)
                annotations[Ownership.specHashAnnotation] = .string("hash-\(data)-\(i)")
                return ["apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": ["name": .string("cm-\(i)"), "namespace": "ns", "labels": .map(labels), "annotations": .map(annotations)],
                        "data": ["key": .string(data)]]
            }
            let identity = ObjectIdentity(group: "", kind: "ConfigMap", namespace: "ns", name: "cm-\(i)")
            desired.append(DesiredObject(cluster: "c1", environment: "prod", identity: identity, value: object("new"),
                                         source: SourceLocation(file: "j.yaml", line: 1, column: 1), specHash: "hash-new-\(i)"))
            live.append(LiveObject(identity: identity, value: object("old")))
        }
        let state = DesiredState(revision: "bench", clusters: [ClusterDesiredState(cluster: cluster, environments: ["prod"], objects: desired)])
        let objects = desired.map(\.identity.description)

        func planSeconds(_ directory: URL) async throws -> (Double, Int) {
            let journal = try Journal(directory: directory)
            let syncer = Syncer(drivers: ["c1": StaleDriver(cluster: cluster, live: live)], journal: journal)
            let start = ContinuousClock.now
            let plan = await syncer.plan(state, environments: [])
            return ((ContinuousClock.now - start).seconds, plan.clusters[0].changes.count)
        }

        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-journal-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let empty = work.appendingPathComponent("empty"), full = work.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let writer = try Journal(directory: full)
        var written = 0
        var time = Date().addingTimeInterval(-86_400)
        while written < records {
            var batch: [JournalRecord] = []
            for _ in 0..<min(1000, records - written) {
                let object = objects[written % objects.count]
                time += 0.01
                let step: JournalRecord.Step = [.apply, .healthGate, .rollback, .stopWithSavepoint][written % 4]
                batch.append(JournalRecord(time: time, cluster: "c1", object: object, step: step, phase: written % 3 == 0 ? .intent : .outcome,
                                           revision: "0123456789abcdef0123456789abcdef01234567", specHash: "hash-old-\(written)",
                                           savepointPath: step == .stopWithSavepoint ? "s3://bucket/savepoints/sp-\(written)" : nil,
                                           succeeded: written % 3 == 0 ? nil : true, durationMilliseconds: written % 997,
                                           message: "applied (server-side apply)"))
                written += 1
            }
            try writer.append(contentsOf: batch)
        }
        var best: (empty: Double, full: Double) = (.infinity, .infinity)
        var changed = 0
        for _ in 0..<3 {
            let (e, _) = try await planSeconds(empty)
            let (f, count) = try await planSeconds(full)
            best = (min(best.empty, e), min(best.full, f))
            changed = count
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: full.path)) ?? []
        let segments = files.filter { $0.hasPrefix("journal.") && $0.hasSuffix(".jsonl") && Int($0.dropFirst(8).dropLast(6)) != nil }.count
        func lines(_ name: String) -> Int {
            (FileManager.default.contents(atPath: full.appendingPathComponent(name).path) ?? Data()).reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
        }
        print(String(format: "journal-plan: %d changes planned in %.1f ms with an empty journal, %.1f ms with %d records written (adds %.1f ms); on disk: %d segments kept, a snapshot of %d records, %d lines in journal.jsonl",
                     changed, best.empty * 1000, best.full * 1000, records, (best.full - best.empty) * 1000, segments,
                     max(0, lines("journal.snapshot.jsonl") - 1), lines("journal.jsonl")))
    }
}
