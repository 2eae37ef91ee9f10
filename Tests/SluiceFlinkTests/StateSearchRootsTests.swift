import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceTestSupport
import SluiceYAML
import Testing

/// The state search looks into the directories a spec names only under the host's allowed roots:
/// a commit is untrusted, and must not make Sluice list or stat other folders of the host.
@Suite("The state search stays inside the allowed roots")
struct StateSearchRootsTests {
    @Test("a checkpoint directory outside the roots is not searched and says why; inside them its checkpoints are found")
    func checkpointDirectory() async throws {
        let work = try TemporaryDirectory(prefix: "sluice-state-roots")
        let owner = JobOwner(cluster: "c", object: "FlinkDeployment.flink.apache.org apps/counter")
        let jobID = owner.newJobID(specHash: "0123456789abcdef")
        func checkpoints(_ name: String) throws -> URL {
            let root = work.url.appendingPathComponent(name)
            let checkpoint = root.appendingPathComponent(jobID).appendingPathComponent("chk-3")
            try FileManager.default.createDirectory(at: checkpoint, withIntermediateDirectories: true)
            try Data("state".utf8).write(to: checkpoint.appendingPathComponent("_metadata"))
            return root
        }
        func spec(_ directory: URL) throws -> JobSpec {
            try #require(JobSpec(try YAML.parseDocument("""
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: counter, namespace: apps}
                spec:
                  flinkConfiguration: {execution.checkpointing.dir: "file://\(directory.path)"}
                  job: {jarURI: "file:///j.jar", upgradeMode: last-state}
                """)))
        }
        // No JobManager answers: only the directories and the journal can hold state.
        var lifecycle = JobLifecycle(cluster: "c", client: FlinkClient(baseURL: URL(string: "http://127.0.0.1:1")!, http: HTTPClient()),
                                     journal: try Journal(directory: work.url.appendingPathComponent("state")),
                                     jars: JarStore(directory: work.url.appendingPathComponent("jars"), http: HTTPClient()))

        let outside = try checkpoints("outside")
        let refused = await lifecycle.locateState(of: owner, spec: try spec(outside), recorded: nil)
        #expect(refused.newest == nil, "nothing outside the roots is read: \(String(describing: refused.newest))")
        #expect(refused.searched.contains { $0.contains(outside.path) && $0.contains("not searched") }, "\(refused.searched)")

        // A folder the runtime trusts (its own state directory) is searched.
        let trusted = try checkpoints("runtime-state")
        lifecycle.trustedRoots = [trusted.path]
        let inTrusted = await lifecycle.locateState(of: owner, spec: try spec(trusted), recorded: nil)
        #expect(inTrusted.newest?.path.hasSuffix("\(jobID)/chk-3") == true, "\(inTrusted.searched)")

        // Once the host's operator allows the folder, its checkpoints are found.
        HostPathPolicy.shared.allow(outside.path)
        let allowed = await lifecycle.locateState(of: owner, spec: try spec(outside), recorded: nil)
        #expect(allowed.newest?.path == "file:" + outside.appendingPathComponent("\(jobID)/chk-3").path, "\(allowed.searched)")
    }
}
