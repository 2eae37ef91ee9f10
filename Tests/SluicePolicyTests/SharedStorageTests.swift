import Foundation
import SluiceCore
@testable import SluicePolicy
import SluiceSpec
import SluiceTestSupport
import SluiceYAML
import Testing

/// `PolicyEngine.evaluate(_: [Subject])` hashes and interns a value once per storage
/// (the renderer gives the clusters that place a job alike one object). A storage stands for its
/// value only while it is held, and a copy changed in place gets a storage of its own: these
/// tests check that the shortcut is taken for one storage and never for two different values.
@Suite("Slot values found once per storage")
struct SharedStorageTests {
    static let spec: Value = [
        "image": "ghcr.io/example/orders:1.2.3",
        "flinkConfiguration": ["b.second": "2", "a.first": "1"],
        "job": ["parallelism": 2],
    ]

    @Test("one storage is hashed once; a changed copy and an equal rebuilt value are hashed again")
    func exactValueMemo() throws {
        let memo = ExactValueMemo()
        let first = memo.exact(Self.spec)
        let copy = Self.spec  // the same storage
        #expect(memo.exact(copy) == first)
        #expect(memo.exact(Self.spec) == first)
        #expect(memo.hashed == 1)

        var changed = try #require(Self.spec.mapValue)
        changed["image"] = "ghcr.io/example/orders:1.2.4"
        let changedExact = memo.exact(.map(changed))
        #expect(memo.hashed == 2)
        #expect(changedExact != first)

        // Equal entries in a storage of their own: hashed again, and the same exact value.
        let rebuilt = Value.map(Mapping(try #require(Self.spec.mapValue).entries.map { $0 }))
        #expect(StorageIdentity(rebuilt) != StorageIdentity(Self.spec))
        #expect(memo.exact(rebuilt) == first)

        // The key order is part of the exact value, whatever the storage.
        let reordered = Value.map(Mapping(try #require(Self.spec.mapValue).entries.reversed()))
        #expect(memo.exact(reordered) != first)
        #expect(ExactValue(reordered) == memo.exact(reordered))
    }

    @Test("a list and a field read of the same list are different slot values")
    func slotStorageKeepsTheCase() throws {
        let list: Value = ["a", "b"]
        // Two policies of one subject: one reads `object` whole, the other `object.spec`.
        let (reads, count) = InputReads.numbered([InputReads([["object": nil]]), InputReads([["object": ["spec"]]])])
        #expect(count == 2)
        let (whole, field) = (reads[0], reads[1])
        var cache = [Int](repeating: -1, count: count)
        var values: [InputReads.SlotValue] = []
        let memo = ExactValueMemo()
        let inputs = Self.inputs(object: list)
        let slots = whole.key(inputs, cache: &cache, values: &values, memo: memo)
            + field.key(inputs, cache: &cache, values: &values, memo: memo)
        #expect(slots == [0, 1])
        #expect(values.count == 2)
        let storages = values.compactMap(\.storage)
        #expect(storages.count == 2)
        #expect(Set(storages).count == 2)  // .value(list) and .notAMap(list): one storage, two slot values
        #expect(memo.hashed == 1)
    }

    static func inputs(object: Value) -> SubjectInputs {
        let cluster = ClusterSpec(name: "a", labels: [:], tier: .public, driver: .kubernetes, kubernetes: .init(), flink: nil, runtime: nil,
                                  location: SourceLocation(file: "clusters/a.yaml", line: 1, column: 1))
        let subject = PolicyEngine.Subject(object: object, oldObject: nil,
                                           identity: ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: "shop", name: "orders"),
                                           source: SourceLocation(file: "jobs/orders.yaml", line: 1, column: 1),
                                           cluster: cluster, environment: nil, environmentName: "prod")
        return PolicyEngine.inputs(for: subject)
    }

    /// `apiVersions` in resource rules match the part after the group, as the API server's
    /// REST mapping names it (k8s.io/apiserver admission/plugin/policy/matching).
    @Test("an object's version is the part of its apiVersion after the last slash")
    func versionOfAPIVersion() {
        #expect(MatchResources.Target.version(of: "flink.apache.org/v1beta1") == "v1beta1")
        #expect(MatchResources.Target.version(of: "apps/v1") == "v1")
        #expect(MatchResources.Target.version(of: "v1") == "v1")
        #expect(MatchResources.Target.version(of: "a/b/v2") == "v2")
        // Degenerate forms keep what splitting on "/" gave.
        #expect(MatchResources.Target.version(of: "apps/") == "apps")
        #expect(MatchResources.Target.version(of: "/") == "/")
        #expect(MatchResources.Target.version(of: "") == "")
    }

    /// Slots are numbered across policies, so a subject's slot cache is an array: a slot two
    /// policies read has one number, and its value is found once for the subject.
    @Test("a slot read by two policies has one number, and one value per subject")
    func slotsNumberedAcrossPolicies() throws {
        let first = InputReads([["object": ["spec", "metadata"]], ["cluster": ["tier"]]])
        let second = InputReads([["object": ["spec"]], ["environment": nil]])
        let (reads, count) = InputReads.numbered([first, second])
        #expect(count == 4)  // object.metadata, object.spec, cluster.tier, environment
        let spec = try #require(reads[0].slots.firstIndex(of: .init(input: .object, field: "spec")))
        let alsoSpec = try #require(reads[1].slots.firstIndex(of: .init(input: .object, field: "spec")))
        #expect(reads[0].numbers[spec] == reads[1].numbers[alsoSpec])
        #expect(Set(reads[0].numbers + reads[1].numbers) == Set(0..<count))

        var cache = [Int](repeating: -1, count: count)
        var values: [InputReads.SlotValue] = []
        let inputs = Self.inputs(object: ["metadata": ["name": "orders"], "spec": Self.spec])
        let firstKey = reads[0].key(inputs, cache: &cache, values: &values)
        let secondKey = reads[1].key(inputs, cache: &cache, values: &values)
        #expect(values.count == 4, "object.spec is found once for both policies")
        #expect(firstKey[spec] == secondKey[alsoSpec])
        #expect(values[firstKey[spec]] == .value(ExactValue(Self.spec)))
    }

    /// Subjects that hold one object storage, equal objects in storages of their own, and copies
    /// changed in place: the shared evaluation must give what evaluating each alone gives.
    @Test("shared, rebuilt and changed-in-place objects get exactly their own violations")
    func sameAsOneByOneAcrossStorages() throws {
        let dir = try TemporaryDirectory()
        try dir.write("policies.yaml", """
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: parallelism}
            spec:
              matchConstraints:
                resourceRules:
                  - {apiGroups: ["*"], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: ["*"]}
              validations:
                - expression: "false"
                  messageExpression: "'parallelism ' + string(object.spec.job.parallelism) + ', first key ' + object.spec.flinkConfiguration.map(k, k)[0]"
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: parallelism}
            spec: {policyName: parallelism, validationActions: [Warn]}
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicy
            metadata: {name: was}
            spec:
              matchConstraints:
                resourceRules:
                  - {apiGroups: ["*"], apiVersions: ["*"], operations: [UPDATE], resources: ["*"]}
              validations:
                - expression: "false"
                  messageExpression: "'was ' + string(oldObject.spec.job.parallelism) + ' on ' + cluster.name"
            ---
            apiVersion: admissionregistration.k8s.io/v1
            kind: ValidatingAdmissionPolicyBinding
            metadata: {name: was}
            spec: {policyName: was, validationActions: [Deny]}
            """)
        let engine = try PolicyEngine(try PolicyLoader.load(from: DirectoryTree(path: dir.path), path: "", specs: nil))
        let template = try #require(try PolicySharingTests.subjects().first { $0.identity.kind == "FlinkDeployment" && $0.oldObject == nil })
        let object = try #require(template.object)
        func with(_ transform: (inout Mapping) -> Void) throws -> Value {
            var root = try #require(object.mapValue)
            var spec = try #require(root["spec"]?.mapValue)
            transform(&spec)
            root["spec"] = .map(spec)
            return .map(root)
        }
        let shared = try with { $0["job"] = ["parallelism": 2] }
        let rebuilt = try with { $0["job"] = ["parallelism": 2] }  // equal to `shared`, its own storage
        // A copy of `shared` changed in place: new storages from the job up, the rest still shared.
        var root = try #require(shared.mapValue)
        var spec = try #require(root["spec"]?.mapValue)
        var job = try #require(spec["job"]?.mapValue)
        job["parallelism"] = 7
        spec["job"] = .map(job)
        root["spec"] = .map(spec)
        let changed = Value.map(root)
        let reordered = try with {
            $0["job"] = ["parallelism": 2]
            $0["flinkConfiguration"] = .map(Mapping(($0["flinkConfiguration"]?.mapValue?.entries ?? []).reversed()))
        }
        let clusters = try ["pub", "dc", "edge"].map { name in
            try #require(try PolicySharingTests.subjects().first { $0.cluster.name == name }).cluster
        }
        var subjects: [PolicyEngine.Subject] = []
        for (object, old) in [(shared, shared), (rebuilt, changed), (changed, shared), (shared, rebuilt), (reordered, changed), (shared, shared)] {
            for cluster in clusters {
                var subject = template
                subject.object = object
                subject.oldObject = old
                subject.cluster = cluster
                subjects.append(subject)
            }
        }
        let found = engine.evaluate(subjects)
        #expect(found == subjects.flatMap { engine.evaluate($0) })
        let messages = found.map(\.message)
        #expect(messages.contains { $0.hasPrefix("parallelism 7") })
        #expect(messages.contains("was 7 on edge"))
        #expect(Set(messages.filter { $0.hasPrefix("parallelism 2, first key ") }).count == 2, "\(Set(messages))")
    }
}
