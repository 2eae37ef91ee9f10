import SluiceTestSupport

/// A spec tree of two sites, `a` and `b`: a flink Cluster, an Environment and a FlinkDeployment
/// each, placed by the label `site`; the tests vary the jobs' parallelism.
enum TwoSites {
    static func write(parallelism: [String: Int], prefix: String) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: prefix)
        for name in ["a", "b"] {
            _ = try dir.write("clusters/\(name).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: \(name), labels: {site: \(name)}}
                spec: {tier: private, driver: flink, flink: {url: "http://127.0.0.1:1"}}
                """)
            _ = try dir.write("environments/\(name).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: env-\(name)}
                spec: {namespace: apps, clusters: {matchLabels: {site: \(name)}}, jobs: {matchLabels: {site: \(name)}}}
                """)
            _ = try dir.write("jobs/\(name).yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: job-\(name), labels: {site: \(name)}}
                spec: {job: {jarURI: "file:///j.jar", parallelism: \(parallelism[name, default: 1]), upgradeMode: savepoint}}
                """)
        }
        return dir
    }
}
