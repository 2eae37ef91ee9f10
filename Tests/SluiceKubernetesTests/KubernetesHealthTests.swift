import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// Every health rule, from YAML fixtures shaped like what the API server returns.
@Suite("Kubernetes health")
struct KubernetesHealthTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        var status: String
        var reasonContains: String
        var testDescription: String { name }
    }

    static func flink(_ kind: String = "FlinkDeployment", spec: String = "job: {jarURI: local:///job.jar, state: running}",
                      generation: Int = 1, status: String) -> String {
        """
        apiVersion: flink.apache.org/v1beta1
        kind: \(kind)
        metadata: {name: orders, namespace: flink, generation: \(generation)}
        spec: {\(spec)}
        status:
        \(status.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n"))
        """
    }

    static let cases: [Case] = [
        Case(name: "FlinkDeployment running and stable", yaml: flink(status: """
            lifecycleState: STABLE
            jobManagerDeploymentStatus: READY
            jobStatus: {state: RUNNING}
            reconciliationStatus: {state: DEPLOYED}
            observedGeneration: 1
            """), status: "healthy", reasonContains: "running"),
        Case(name: "FlinkDeployment failed job although reconciled", yaml: flink(status: """
            lifecycleState: FAILED
            jobManagerDeploymentStatus: READY
            jobStatus: {state: FAILED}
            reconciliationStatus: {state: DEPLOYED}
            """), status: "degraded", reasonContains: "failed"),
        Case(name: "FlinkDeployment with an operator error", yaml: flink(status: """
            lifecycleState: DEPLOYED
            jobManagerDeploymentStatus: DEPLOYING
            error: 'org.apache.flink.kubernetes.operator.exception.ReconciliationException: jar not found'
            reconciliationStatus: {state: DEPLOYED}
            """), status: "degraded", reasonContains: "jar not found"),
        Case(name: "FlinkDeployment suspended by spec", yaml: flink(spec: "job: {jarURI: local:///job.jar, state: suspended}", status: """
            lifecycleState: SUSPENDED
            jobManagerDeploymentStatus: MISSING
            jobStatus: {state: SUSPENDED}
            """), status: "suspended", reasonContains: "suspended"),
        Case(name: "FlinkDeployment being suspended", yaml: flink(spec: "job: {jarURI: local:///job.jar, state: suspended}", status: """
            lifecycleState: UPGRADING
            jobStatus: {state: RUNNING}
            """), status: "progressing", reasonContains: "suspending"),
        Case(name: "FlinkDeployment generation not yet observed", yaml: flink(generation: 3, status: """
            lifecycleState: STABLE
            jobManagerDeploymentStatus: READY
            jobStatus: {state: RUNNING}
            observedGeneration: 2
            """), status: "progressing", reasonContains: "generation 3"),
        Case(name: "FlinkDeployment upgrading", yaml: flink(status: """
            lifecycleState: UPGRADING
            jobManagerDeploymentStatus: READY
            jobStatus: {state: RUNNING}
            reconciliationStatus: {state: UPGRADING}
            """), status: "progressing", reasonContains: "upgrading"),
        Case(name: "FlinkDeployment rolled back", yaml: flink(status: """
            lifecycleState: ROLLED_BACK
            jobManagerDeploymentStatus: READY
            jobStatus: {state: RUNNING}
            reconciliationStatus: {state: ROLLED_BACK}
            """), status: "degraded", reasonContains: "rolled back"),
        Case(name: "FlinkDeployment JobManager missing", yaml: flink(status: """
            lifecycleState: DEPLOYED
            jobManagerDeploymentStatus: MISSING
            jobStatus: {state: RECONCILING}
            """), status: "degraded", reasonContains: "JobManager"),
        Case(name: "FlinkDeployment JobManager starting", yaml: flink(status: """
            lifecycleState: DEPLOYED
            jobManagerDeploymentStatus: DEPLOYED_NOT_READY
            """), status: "progressing", reasonContains: "JobManager"),
        Case(name: "FlinkDeployment job restarting", yaml: flink(status: """
            lifecycleState: STABLE
            jobManagerDeploymentStatus: READY
            jobStatus: {state: RESTARTING}
            """), status: "degraded", reasonContains: "restarting"),
        Case(name: "FlinkDeployment without status yet", yaml: """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: orders, generation: 1}
            spec: {job: {jarURI: local:///job.jar}}
            """, status: "progressing", reasonContains: "operator"),
        Case(name: "FlinkDeployment session cluster", yaml: flink(spec: "flinkVersion: v1_20", status: """
            lifecycleState: STABLE
            jobManagerDeploymentStatus: READY
            """), status: "healthy", reasonContains: "session"),
        Case(name: "FlinkSessionJob running", yaml: flink("FlinkSessionJob", spec: "deploymentName: session, job: {jarURI: local:///j.jar}", status: """
            lifecycleState: STABLE
            jobStatus: {state: RUNNING}
            reconciliationStatus: {state: DEPLOYED}
            """), status: "healthy", reasonContains: "running"),
        Case(name: "FlinkSessionJob failed", yaml: flink("FlinkSessionJob", spec: "deploymentName: session, job: {jarURI: local:///j.jar}", status: """
            lifecycleState: STABLE
            jobStatus: {state: FAILED}
            reconciliationStatus: {state: DEPLOYED}
            """), status: "degraded", reasonContains: "failed"),
        Case(name: "FlinkSessionJob with error", yaml: flink("FlinkSessionJob", spec: "deploymentName: session", status: """
            error: 'session cluster not found'
            reconciliationStatus: {state: DEPLOYED}
            """), status: "degraded", reasonContains: "session cluster not found"),
        Case(name: "FlinkSessionJob starting", yaml: flink("FlinkSessionJob", spec: "deploymentName: session", status: """
            lifecycleState: DEPLOYED
            jobStatus: {state: CREATED}
            reconciliationStatus: {state: DEPLOYED}
            """), status: "progressing", reasonContains: "CREATED"),
        Case(name: "Deployment available", yaml: """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, generation: 2}
            spec: {replicas: 3}
            status: {observedGeneration: 2, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3}
            """, status: "healthy", reasonContains: "3 of 3"),
        Case(name: "Deployment rolling out", yaml: """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, generation: 2}
            spec: {replicas: 3}
            status: {observedGeneration: 2, replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3}
            """, status: "progressing", reasonContains: "1 of 3"),
        Case(name: "Deployment old replicas terminating", yaml: """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, generation: 2}
            spec: {replicas: 2}
            status: {observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2}
            """, status: "progressing", reasonContains: "old replicas"),
        Case(name: "Deployment generation not observed", yaml: """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, generation: 5}
            spec: {replicas: 1}
            status: {observedGeneration: 4, replicas: 1, updatedReplicas: 1, availableReplicas: 1}
            """, status: "progressing", reasonContains: "generation 5"),
        Case(name: "Deployment past its progress deadline", yaml: """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, generation: 2}
            spec: {replicas: 2}
            status:
              observedGeneration: 2
              replicas: 2
              updatedReplicas: 1
              conditions:
                - {type: Progressing, status: "False", reason: ProgressDeadlineExceeded, message: 'ReplicaSet "web-5d" has timed out progressing.'}
            """, status: "degraded", reasonContains: "timed out"),
        Case(name: "Deployment paused", yaml: """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, generation: 1}
            spec: {replicas: 2, paused: true}
            """, status: "suspended", reasonContains: "paused"),
        Case(name: "StatefulSet ready", yaml: """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db, generation: 1}
            spec: {replicas: 2}
            status: {observedGeneration: 1, replicas: 2, readyReplicas: 2, updatedReplicas: 2, currentRevision: db-1, updateRevision: db-1}
            """, status: "healthy", reasonContains: "2 of 2"),
        Case(name: "StatefulSet rolling to a new revision", yaml: """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db, generation: 2}
            spec: {replicas: 2}
            status: {observedGeneration: 2, replicas: 2, readyReplicas: 2, updatedReplicas: 2, currentRevision: db-1, updateRevision: db-2}
            """, status: "progressing", reasonContains: "db-2"),
        Case(name: "StatefulSet not ready", yaml: """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db, generation: 1}
            spec: {replicas: 3, updateStrategy: {type: OnDelete}}
            status: {observedGeneration: 1, replicas: 3, readyReplicas: 1}
            """, status: "progressing", reasonContains: "1 of 3"),
        Case(name: "HPA scaling", yaml: """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: web}
            status:
              conditions:
                - {type: AbleToScale, status: "True", reason: ReadyForNewScale}
                - {type: ScalingActive, status: "True", reason: ValidMetricFound}
            """, status: "healthy", reasonContains: "active"),
        Case(name: "HPA without metrics", yaml: """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: web}
            status:
              conditions:
                - {type: AbleToScale, status: "True", reason: SucceededGetScale}
                - {type: ScalingActive, status: "False", reason: FailedGetResourceMetric, message: 'missing request for cpu'}
            """, status: "degraded", reasonContains: "missing request for cpu"),
        Case(name: "HPA unable to scale", yaml: """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: web}
            status:
              conditions:
                - {type: AbleToScale, status: "False", reason: FailedGetScale, message: 'deployments/scale not found'}
            """, status: "degraded", reasonContains: "AbleToScale"),
        Case(name: "HPA disabled", yaml: """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: web}
            status:
              conditions:
                - {type: ScalingActive, status: "False", reason: ScalingDisabled, message: 'scaling is disabled since the replica count of the target is zero'}
            """, status: "suspended", reasonContains: "disabled"),
        Case(name: "HPA new", yaml: """
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: web}
            """, status: "progressing", reasonContains: "metrics"),
        Case(name: "LoadBalancer with an address", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: ui}
            spec: {type: LoadBalancer}
            status: {loadBalancer: {ingress: [{ip: 203.0.113.7}]}}
            """, status: "healthy", reasonContains: "203.0.113.7"),
        Case(name: "LoadBalancer waiting", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: ui}
            spec: {type: LoadBalancer}
            status: {loadBalancer: {}}
            """, status: "progressing", reasonContains: "load balancer"),
        Case(name: "ClusterIP service", yaml: """
            apiVersion: v1
            kind: Service
            metadata: {name: ui}
            spec: {type: ClusterIP}
            """, status: "healthy", reasonContains: "exists"),
        Case(name: "ConfigMap", yaml: """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {a: "1"}
            """, status: "healthy", reasonContains: "exists"),
    ]

    @Test("health rules", arguments: cases)
    func rule(_ testCase: Case) throws {
        let object = try YAML.parseDocument(testCase.yaml)
        let health = KubernetesHealth.assess(object)
        #expect(health.status.rawValue == testCase.status, "\(health.reason)")
        #expect(health.reason.contains(testCase.reasonContains), "\(health.reason)")
    }

    // flink-kubernetes-operator 6e9caeb4: AbstractJobReconciler.reconcileOtherChanges (lines 479-488)
    // resubmits a FAILED job only when `OPERATOR_JOB_RESTART_FAILED` ("kubernetes.operator.job.restart.failed",
    // KubernetesOperatorConfigOptions lines 583-587, default false) is true in the observed config; otherwise
    // the job stays FAILED (CommonStatus.getLifecycleState line 98: lifecycle FAILED) until the spec changes.
    static func failed(flinkConfiguration: String, error: String? = nil) -> String {
        flink(spec: "flinkConfiguration: {\(flinkConfiguration)}, job: {jarURI: local:///job.jar, state: running}", status: """
            lifecycleState: FAILED
            jobManagerDeploymentStatus: READY
            jobStatus: {state: FAILED, jobId: 0123456789abcdef0123456789abcdef}
            reconciliationStatus: {state: DEPLOYED}
            observedGeneration: 1
            """ + (error.map { "\nerror: '\($0)'" } ?? ""))
    }

    @Test("a failed job the operator will not restart is settled: the health gate ends at once with the operator's error")
    func failedWithoutRestart() throws {
        for configuration in ["", "kubernetes.operator.job.restart.failed: 'false'", "kubernetes.operator.job.restart.failed: false"] {
            let health = KubernetesHealth.assess(try YAML.parseDocument(Self.failed(
                flinkConfiguration: configuration,
                error: "java.lang.ClassNotFoundException: com.example.Orders (from https://deploy:hunter2secret@repo.example.com/orders.jar)")))
            #expect(health.status == .degraded, "\(health)")
            #expect(health.settled, "\(configuration): \(health)")
            #expect(health.reason.contains("will not restart"), "\(health.reason)")
            #expect(health.reason.contains("ClassNotFoundException: com.example.Orders"), "\(health.reason)")
            #expect(health.reason.contains("https://<redacted>@repo.example.com/orders.jar"), "\(health.reason)")
            #expect(!health.reason.contains("hunter2secret"), "\(health.reason)")
        }
        let withoutError = KubernetesHealth.assess(try YAML.parseDocument(Self.failed(flinkConfiguration: "")))
        #expect(withoutError.settled && withoutError.status == .degraded, "\(withoutError)")
    }

    @Test("a password cut by the bound is still redacted: the cut comes after the redaction")
    func failedErrorCutInsideCredentials() throws {
        let padding = String(repeating: "x", count: 270)
        let error = padding + " from https://deploy:hunter2secret@repo.example.com/orders.jar"
        let health = KubernetesHealth.assess(try YAML.parseDocument(Self.failed(flinkConfiguration: "", error: error)))
        #expect(health.settled)
        #expect(!health.reason.contains("hunter2"), "\(health.reason)")
    }

    @Test("the operator's error text is bounded in a settled health")
    func failedErrorBounded() throws {
        let long = String(repeating: "x", count: 5_000)
        let health = KubernetesHealth.assess(try YAML.parseDocument(Self.failed(flinkConfiguration: "", error: long)))
        #expect(health.settled)
        #expect(health.reason.count < 500, "\(health.reason.count)")
    }

    @Test("a failed job the operator restarts (job.restart.failed true) is degraded but not settled: the gate waits")
    func failedWithRestart() throws {
        for configuration in ["kubernetes.operator.job.restart.failed: 'true'", "kubernetes.operator.job.restart.failed: true",
                              "kubernetes: {operator: {job.restart.failed: 'true'}}", "kubernetes: {operator: {job: {restart: {failed: true}}}}"] {
            let health = KubernetesHealth.assess(try YAML.parseDocument(Self.failed(flinkConfiguration: configuration, error: "boom")))
            #expect(health.status == .degraded, "\(health)")
            #expect(!health.settled, "\(configuration): \(health)")
        }
    }

    @Test("a failed job whose new spec the operator has not observed yet is progressing, not settled")
    func failedBeforeNewGenerationObserved() throws {
        let yaml = Self.failed(flinkConfiguration: "").replacingOccurrences(of: "generation: 1}", with: "generation: 2}")
        let health = KubernetesHealth.assess(try YAML.parseDocument(yaml))
        #expect(health.status == .progressing && !health.settled, "\(health)")
    }

    @Test("a failed session job is degraded but not settled: the session cluster's configuration, not on the object, may restart it")
    func failedSessionJob() throws {
        let yaml = Self.failed(flinkConfiguration: "").replacingOccurrences(of: "kind: FlinkDeployment", with: "kind: FlinkSessionJob")
        let health = KubernetesHealth.assess(try YAML.parseDocument(yaml))
        #expect(health.status == .degraded && !health.settled, "\(health)")
    }

    @Test("an absent object is missing")
    func missing() {
        #expect(KubernetesHealth.assess(.null).status == .missing)
        #expect(KubernetesHealth.assess(.map(Mapping())).status == .missing)
        #expect(KubernetesHealth.assess(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "x"]]).status == .healthy)
    }
}

/// FlinkBlueGreenDeployment health, from the status the operator's blue/green controller writes
/// (flink-kubernetes-operator 6e9caeb4, controller/bluegreen/BlueGreenDeploymentService.java:
/// `patchStatusUpdateControl`, `markDeploymentFailing`, `abortDeployment`, `resetTransitionMarkers`;
/// states from api/status/FlinkBlueGreenDeploymentState).
@Suite("Kubernetes health of FlinkBlueGreenDeployments")
struct BlueGreenHealthTests {
    static func object(_ status: String, spec: String = "template: {spec: {job: {jarURI: local:///job.jar, parallelism: 2}}}") throws -> Value {
        try YAML.parseDocument(Array("""
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkBlueGreenDeployment
            metadata: {name: orders, namespace: flink, generation: 2}
            spec: {\(spec)}
            status:
            \(status.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n"))
            """.utf8), file: "bg.yaml")
    }

    static let epoch = "abortTimestamp: '1970-01-01T00:00:00Z'"

    @Test("ACTIVE_BLUE or ACTIVE_GREEN with a running job is healthy, naming the active child")
    func active() throws {
        let blue = KubernetesHealth.assess(try Self.object("blueGreenState: ACTIVE_BLUE\njobStatus: {state: RUNNING}\n\(Self.epoch)"))
        #expect(blue.status == .healthy && blue.reason.contains("blue is active"))
        let green = KubernetesHealth.assess(try Self.object("blueGreenState: ACTIVE_GREEN\njobStatus: {state: RUNNING}\n\(Self.epoch)"))
        #expect(green.status == .healthy && green.reason.contains("green"))
    }

    @Test("initialising, savepointing and transitioning are progressing", arguments: [
        "INITIALIZING_BLUE", "SAVEPOINTING_BLUE", "SAVEPOINTING_GREEN", "TRANSITIONING_TO_BLUE", "TRANSITIONING_TO_GREEN",
    ])
    func progressing(_ state: String) throws {
        // A transition starts with jobStatus RECONCILING and an abort deadline ahead (setAbortTimestamp).
        let health = KubernetesHealth.assess(try Self.object("blueGreenState: \(state)\njobStatus: {state: RECONCILING}\nabortTimestamp: '2999-01-01T00:00:00Z'"))
        #expect(health.status == .progressing, "\(health)")
    }

    @Test("an abort (previous ACTIVE state, FAILING, error) is degraded with the operator's reason")
    func aborted() throws {
        let health = KubernetesHealth.assess(try Self.object("""
            blueGreenState: ACTIVE_BLUE
            jobStatus: {state: FAILING}
            error: "Aborting deployment 'orders-green', rolling B/G deployment back to ACTIVE_BLUE"
            \(Self.epoch)
            """))
        #expect(health.status == .degraded)
        #expect(health.reason.contains("Aborting deployment 'orders-green'"))
    }

    @Test("a failed job is degraded even without an error text")
    func failedJob() throws {
        let health = KubernetesHealth.assess(try Self.object("blueGreenState: ACTIVE_GREEN\njobStatus: {state: FAILED}"))
        #expect(health.status == .degraded && health.reason.contains("failed"))
    }

    @Test("a transition past its abort deadline is degraded; the epoch means no deadline")
    func pastDeadline() throws {
        let late = KubernetesHealth.assess(try Self.object("blueGreenState: TRANSITIONING_TO_GREEN\njobStatus: {state: RECONCILING}\nabortTimestamp: '2020-01-01T00:00:00Z'"))
        #expect(late.status == .degraded && late.reason.contains("abort deadline"))
        let epoch = KubernetesHealth.assess(try Self.object("blueGreenState: TRANSITIONING_TO_GREEN\njobStatus: {state: RECONCILING}\n\(Self.epoch)"))
        #expect(epoch.status == .progressing)
    }

    @Test("an ACTIVE status whose lastReconciledSpec lacks the current template is progressing, not healthy")
    func unreconciled() throws {
        let old = #"{\"spec\":{\"template\":{\"spec\":{\"job\":{\"jarURI\":\"local:///job.jar\",\"parallelism\":2,\"upgradeMode\":\"stateless\"}}}}}"#
        let seen = KubernetesHealth.assess(try Self.object("blueGreenState: ACTIVE_BLUE\njobStatus: {state: RUNNING}\nlastReconciledSpec: \"\(old)\""))
        #expect(seen.status == .healthy, "\(seen)")
        let changed = KubernetesHealth.assess(try Self.object("blueGreenState: ACTIVE_BLUE\njobStatus: {state: RUNNING}\nlastReconciledSpec: \"\(old)\"",
                                                              spec: "template: {spec: {job: {jarURI: local:///v2.jar, parallelism: 2}}}"))
        #expect(changed.status == .progressing && changed.reason.contains("spec.template.spec.job.jarURI"), "\(changed)")
    }

    @Test("no status yet, and a suspended spec")
    func noStatusAndSuspended() throws {
        #expect(KubernetesHealth.assess(try YAML.parseDocument(Array("apiVersion: flink.apache.org/v1beta1\nkind: FlinkBlueGreenDeployment\nmetadata: {name: a}\nspec: {}".utf8), file: "x")).status == .progressing)
        let suspended = KubernetesHealth.assess(try Self.object("blueGreenState: ACTIVE_BLUE\njobStatus: {state: SUSPENDED}",
                                                                spec: "template: {spec: {job: {jarURI: local:///job.jar, state: suspended}}}"))
        #expect(suspended.status == .suspended)
    }
}

/// The fast failure through a whole sync: the operator reports the applied FlinkDeployment's job
/// FAILED (flink-kubernetes-operator 6e9caeb4, CommonStatus.getLifecycleState line 98), and without
/// `kubernetes.operator.job.restart.failed` it will not resubmit it (AbstractJobReconciler lines 479-488),
/// so the health gate ends at once with the operator's error instead of waiting out its timeout.
@Suite("Kubernetes fast failure of a job the operator will not restart")
struct KubernetesFastFailureTests {
    @Test("a FAILED FlinkDeployment fails its cluster's sync at once with the operator's error, well inside the health timeout")
    func failsFast() async throws {
        let world = try KubernetesDriverTests.World()
        let client = world.client, fake = world.fake
        let flinkOperator = Task {
            for _ in 0..<600 where !Task.isCancelled {
                let ref = ObjectReference(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: "counter")
                if let object = try? await client.get(ref), let generation = object[path: "metadata", "generation"]?.intValue,
                   object[path: "status", "observedGeneration"]?.intValue != generation {
                    let status = #"{"lifecycleState":"FAILED","jobManagerDeploymentStatus":"READY","jobStatus":{"state":"FAILED"},"reconciliationStatus":{"state":"DEPLOYED"},"error":"java.lang.ClassNotFoundException: com.example.Counter","observedGeneration":\#(generation)}"#
                    _ = try? await onDedicatedThread("fake-operator") {
                        try fake.setStatus(apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name, statusJSON: status)
                    }
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { flinkOperator.cancel() }
        let started = ContinuousClock.now
        let (_, report) = try await world.sync(SyncOptions(healthTimeout: .seconds(300), healthPollInterval: .milliseconds(100)))
        let elapsed = ContinuousClock.now - started
        let cluster = try #require(report.clusters.first)
        #expect(cluster.status == .failed, "\(cluster.message)")
        #expect(cluster.message.contains("cannot start"), "\(cluster.message)")
        #expect(cluster.message.contains("ClassNotFoundException: com.example.Counter"), "\(cluster.message)")
        #expect(elapsed < .seconds(120), "the gate ended after \(elapsed), not at once")
    }
}
