import SluiceCore
import Testing

@testable import SluiceYAML

@Suite struct ManifestTests {
    static func flinkDeployment(_ i: Int) -> String {
        """
        apiVersion: flink.apache.org/v1beta1
        kind: FlinkDeployment
        metadata:
          name: job-\(i)
          namespace: streaming
          labels:
            app.kubernetes.io/name: job-\(i)
            team: data
          annotations:
            sluice.dev/owner: "team-data"
        spec:
          image: registry.example.com/flink-job:1.\(i).0
          flinkVersion: v1_20
          flinkConfiguration:
            taskmanager.numberOfTaskSlots: "4"
            state.backend.type: rocksdb
            execution.checkpointing.interval: 60s
            high-availability.type: kubernetes
          serviceAccount: flink
          jobManager:
            resource:
              memory: 2048m
              cpu: 1
          taskManager:
            replicas: 2
            resource:
              memory: 4096m
              cpu: 2.5
          podTemplate:
            spec:
              containers:
                - name: flink-main-container
                  env:
                    - name: JAVA_OPTS
                      value: -Xmx1g
                    - name: ENABLED
                      value: "true"
                  ports: [{containerPort: 8081, name: rest}]
          job:
            jarURI: local:///opt/flink/usrlib/job.jar
            entryClass: com.example.Job
            args: ["--input", "kafka://in", "--parallel", "8"]
            parallelism: 8
            upgradeMode: savepoint
            state: running
            allowNonRestoredState: no
        """
    }

    @Test func flinkDeploymentParsesAsKubernetesWould() throws {
        let doc = try YAML.parseDocument(Self.flinkDeployment(3), file: "jobs/job-3.yaml")
        #expect(doc["kind"] == "FlinkDeployment")
        #expect(doc[path: "metadata", "labels", "app.kubernetes.io/name"] == "job-3")
        #expect(doc[path: "spec", "flinkConfiguration", "taskmanager.numberOfTaskSlots"] == "4")
        #expect(doc[path: "spec", "jobManager", "resource", "cpu"] == 1)
        #expect(doc[path: "spec", "taskManager", "resource", "cpu"] == 2.5)
        #expect(doc[path: "spec", "job", "allowNonRestoredState"] == false)
        #expect(doc[path: "spec", "job", "args"] == ["--input", "kafka://in", "--parallel", "8"])
        let env = try #require(doc[path: "spec", "podTemplate", "spec", "containers"]?[0]?["env"])
        #expect(env[0]?["value"] == "-Xmx1g")
        #expect(env[1]?["value"] == "true")
        #expect(doc[path: "spec", "podTemplate", "spec", "containers"]?[0]?["ports"]?[0]?["containerPort"] == 8081)
        #expect(doc[path: "spec", "job", "parallelism"]?.location == SluiceCore.SourceLocation(file: "jobs/job-3.yaml", line: 43, column: 18))
        // What Sluice writes back reads the same.
        #expect(try YAML.parseDocument(YAML.emit(doc)) == doc)
        #expect(try JSON.decode(JSON.encode(doc, pretty: true)) == doc)
    }

    @Test func thousandDeploymentsInOneStream() throws {
        let stream = (0..<1000).map(Self.flinkDeployment).joined(separator: "\n---\n")
        let bytes = Array(stream.utf8)
        let clock = ContinuousClock()
        var docs: [Value] = []
        let elapsed = try clock.measure { docs = try YAML.parseDocuments(bytes, file: "all.yaml") }
        #expect(docs.count == 1000)
        #expect(docs[999][path: "metadata", "name"] == "job-999")
        #expect(docs[999].location?.line == 999 * 47 + 1)
        // Generous bound for a debug build on a shared machine; the release benchmark is much faster.
        #expect(elapsed < .seconds(10))
    }
}
