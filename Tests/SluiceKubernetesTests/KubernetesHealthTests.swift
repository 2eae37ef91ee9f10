import SluiceCore
import SluiceKubernetes
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
        #expect(health.status == testCase.status, "\(health.reason)")
        #expect(health.reason.contains(testCase.reasonContains), "\(health.reason)")
    }

    @Test("an absent object is missing")
    func missing() {
        #expect(KubernetesHealth.assess(.null).status == "missing")
        #expect(KubernetesHealth.assess(.map(Mapping())).status == "missing")
    }
}
