import Foundation
import SluiceCore
import SluicePolicy
import SluiceSpec
import SluiceTestSupport
import Testing

/// Every policy in policies/ against a passing fixture and a failing one: the same small spec
/// repository, valid as written, and one mutation per policy that must break exactly that policy.
@Suite("The policy set, policy by policy")
struct PolicyFixtureTests {
    static let files: [String: String] = [
        "clusters/pub.yaml": "apiVersion: sluice.dev/v1alpha1\nkind: Cluster\nmetadata: {name: pub, labels: {stage: production}}\nspec: {tier: public, driver: kubernetes}\n",
        "clusters/dc.yaml": "apiVersion: sluice.dev/v1alpha1\nkind: Cluster\nmetadata: {name: dc, labels: {stage: production}}\nspec: {tier: private, driver: kubernetes}\n",
        "clusters/edge.yaml": "apiVersion: sluice.dev/v1alpha1\nkind: Cluster\nmetadata: {name: edge, labels: {stage: production}}\nspec: {tier: edge, driver: runtime}\n",
        "environments/production.yaml": """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: production}
            spec:
              namespace: flink-prod
              clusters: {matchLabels: {stage: production}}
              patches:
                - target: {kind: FlinkDeployment, tier: edge}
                  merge:
                    spec:
                      jobManager: {replicas: 1, resource: {memory: 1024m}}
                      taskManager: {resource: {memory: 2048m}}

            """,
        "jobs/job.yaml": """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: orders, labels: {team: shop}}
            spec:
              image: ghcr.io/example/orders:1.2.3
              flinkVersion: v2_1
              flinkConfiguration:
                taskmanager.numberOfTaskSlots: "2"
                execution.checkpointing.interval: 30s
                execution.checkpointing.dir: s3://state/cp
                execution.checkpointing.savepoint-dir: s3://state/sp
                high-availability.type: kubernetes
                high-availability.storageDir: s3://state/ha
              jobManager: {replicas: 2, resource: {memory: 2048m, cpu: 1}}
              taskManager: {replicas: 2, resource: {memory: 4096m, cpu: 2}}
              job: {jarURI: "local:///job.jar", parallelism: 4, upgradeMode: savepoint}

            """,
        "jobs/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: orders}\nspec: {type: ClusterIP, ports: [{port: 80}]}\n",
        "jobs/hpa.yaml": """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: orders}
            spec:
              scaleTargetRef: {apiVersion: flink.apache.org/v1beta1, kind: FlinkDeployment, name: orders}
              minReplicas: 2
              maxReplicas: 4

            """,
    ]

    static func loadSpecs(_ files: [String: String]) throws -> SpecSet {
        let dir = try TemporaryDirectory()
        for (path, text) in files { try dir.write(path, text) }
        return try SpecLoader().load(from: DirectoryTree(path: dir.path), revision: "test")
    }

    /// Every object `specs` render to, on every cluster, as a new object (a CREATE).
    static func createdSubjects(_ specs: SpecSet, kind: String? = nil) throws -> [PolicyEngine.Subject] {
        try Renderer().render(specs).clusters.flatMap { cluster in
            cluster.objects.filter { kind == nil || $0.identity.kind == kind }.map { object in
                PolicyEngine.Subject(object: object.value, oldObject: nil, identity: object.identity, source: object.source,
                                     cluster: cluster.cluster, environment: specs.environment(named: object.environment),
                                     environmentName: object.environment)
            }
        }
    }

    /// The names of the policies violated by `files`, with `oldJob` as the job at the base revision.
    static func violated(_ files: [String: String], oldJob: String? = nil) throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let policies = try PolicyLoader.load(from: DirectoryTree(path: root.path), path: "policies", specs: nil)
        let engine = try PolicyEngine(policies, engine: CELExpressionEngine())
        let head = try Renderer().render(loadSpecs(files))
        var base: DesiredState?
        if let oldJob {
            var old = files
            old["jobs/job.yaml"] = oldJob
            base = try Renderer().render(loadSpecs(old))
        }
        let specs = try loadSpecs(files)
        var names = Set<String>()
        for cluster in head.clusters {
            let previous = base.map { state in
                Dictionary(uniqueKeysWithValues: (state.clusters.first { $0.cluster.name == cluster.cluster.name }?.objects ?? []).map { ($0.identity, $0.value) })
            } ?? [:]
            for object in cluster.objects {
                let found = engine.evaluate(.init(object: object.value, oldObject: previous[object.identity], identity: object.identity,
                                                  source: object.source, cluster: cluster.cluster,
                                                  environment: specs.environment(named: object.environment), environmentName: object.environment))
                names.formUnion(found.map(\.policy))
            }
        }
        return names
    }

    static func mutate(_ path: String, _ old: String, _ new: String) -> [String: String] {
        var files = Self.files
        precondition(files[path]!.contains(old), "fixture text \(old) not found")
        files[path] = files[path]!.replacingOccurrences(of: old, with: new)
        return files
    }

    @Test("the passing fixture breaks no policy")
    func passing() throws {
        #expect(try Self.violated(Self.files) == [])
    }

    static let failingCases: [(policy: String, path: String, old: String, new: String)] = [
        ("require-resources", "jobs/job.yaml", "taskManager: {replicas: 2, resource: {memory: 4096m, cpu: 2}}", "taskManager: {replicas: 2, resource: {memory: 4096m}}"),
        ("edge-memory-cap", "environments/production.yaml", "taskManager: {resource: {memory: 2048m}}", "taskManager: {resource: {memory: 3g}}"),
        ("allowed-image-registries", "jobs/job.yaml", "image: ghcr.io/example/orders:1.2.3", "image: docker.io/someone/orders:1.2.3"),
        ("no-latest-image-tag", "jobs/job.yaml", "image: ghcr.io/example/orders:1.2.3", "image: ghcr.io/example/orders:latest"),
        ("production-high-availability", "jobs/job.yaml", "jobManager: {replicas: 2,", "jobManager: {replicas: 1,"),
        ("stateful-upgrades", "jobs/job.yaml", "upgradeMode: savepoint", "upgradeMode: stateless"),
        ("no-plaintext-credentials", "jobs/job.yaml", "taskmanager.numberOfTaskSlots: \"2\"", "taskmanager.numberOfTaskSlots: \"2\"\n    s3.secret-key: hunter2"),
        ("no-default-namespace", "environments/production.yaml", "namespace: flink-prod", "namespace: default"),
        ("no-external-services-private-edge", "jobs/service.yaml", "type: ClusterIP", "type: LoadBalancer"),
        ("production-hpa-min-replicas", "jobs/hpa.yaml", "minReplicas: 2", "minReplicas: 1"),
        ("parallelism-fits-slots", "jobs/job.yaml", "parallelism: 4", "parallelism: 5"),
        ("supported-flink-version", "jobs/job.yaml", "flinkVersion: v2_1", "flinkVersion: v1_17"),
        ("durable-checkpoints", "jobs/job.yaml", "execution.checkpointing.dir: s3://state/cp", "execution.checkpointing.dir: file:///tmp/cp"),
    ]

    @Test("each failing fixture breaks its policy", arguments: Self.failingCases.map(\.policy))
    func failing(_ policy: String) throws {
        let c = Self.failingCases.first { $0.policy == policy }!
        let violated = try Self.violated(Self.mutate(c.path, c.old, c.new))
        #expect(violated.contains(policy), "\(policy) did not fire; fired: \(violated)")
        // Stateless upgrades also leave the stateful rule; everything else breaks only its own policy.
        #expect(violated.subtracting([policy]).isEmpty || policy == "stateful-upgrades", "unexpected: \(violated)")
    }

    @Test("durable-checkpoints warns about last-state without a checkpoint directory, on every tier")
    func lastStateWithoutCheckpointDirectory() throws {
        var files = Self.mutate("jobs/job.yaml", "upgradeMode: savepoint", "upgradeMode: last-state")
        #expect(try !Self.violated(files).contains("durable-checkpoints"), "with s3 checkpoints, last-state is fine")
        files["jobs/job.yaml"] = files["jobs/job.yaml"]!.replacingOccurrences(of: "execution.checkpointing.dir: s3://state/cp", with: "pipeline.name: orders")
        #expect(try Self.violated(files).contains("durable-checkpoints"))
    }

    @Test("upgrade-mode-transition guards the move from savepoint to stateless against the base revision")
    func transition() throws {
        let stateless = Self.mutate("jobs/job.yaml", "upgradeMode: savepoint", "upgradeMode: stateless")["jobs/job.yaml"]!
        #expect(try Self.violated(Self.mutate("jobs/job.yaml", "upgradeMode: savepoint", "upgradeMode: stateless"), oldJob: Self.files["jobs/job.yaml"]).contains("upgrade-mode-transition"))
        // Already stateless at the base: not a transition.
        #expect(try !Self.violated(Self.mutate("jobs/job.yaml", "upgradeMode: savepoint", "upgradeMode: stateless"), oldJob: stateless).contains("upgrade-mode-transition"))
        // New objects (no oldObject) are not transitions either.
        #expect(try !Self.violated(Self.mutate("jobs/job.yaml", "upgradeMode: savepoint", "upgradeMode: stateless")).contains("upgrade-mode-transition"))
    }

    /// Flink 2 reads nested YAML as the dotted keys; policies see the dotted form either way.
    @Test("production-high-availability accepts nested HA keys and denies them once a patch removes them")
    func nestedHighAvailability() throws {
        let nested = Self.mutate("jobs/job.yaml",
                                 "high-availability.type: kubernetes\n    high-availability.storageDir: s3://state/ha",
                                 "high-availability:\n      type: kubernetes\n      storageDir: s3://state/ha")
        #expect(try Self.violated(nested) == [])

        var patched = nested
        patched["environments/production.yaml"] = patched["environments/production.yaml"]!.replacingOccurrences(
            of: "  patches:\n",
            with: "  patches:\n    - target: {kind: FlinkDeployment, name: orders}\n      merge: {spec: {flinkConfiguration: {high-availability.type: null}}}\n")
        #expect(try Self.violated(patched) == ["production-high-availability"])
    }
}
