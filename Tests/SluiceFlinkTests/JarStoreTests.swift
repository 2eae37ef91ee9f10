import Crypto
import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceSpec
import SluiceTestSupport
import SluiceYAML
import Testing

@Suite("Jars for non-Kubernetes targets")
struct JarStoreTests {
    static func spec(jarURI: String, sha256: String? = nil) throws -> JobSpec {
        var annotations = ""
        if let sha256 { annotations = "  annotations: {\(JobSpec.jarSHA256Annotation): \"\(sha256)\"}\n" }
        let yaml = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: j\n\(annotations)spec:\n  job: {jarURI: \"\(jarURI)\", upgradeMode: savepoint}\n"
        return try #require(JobSpec(try YAML.parseDocument(Array(yaml.utf8), file: "j.yaml")))
    }

    @Test("https jars are downloaded once by content and verified against sluice.dev/jar-sha256")
    func download() async throws {
        let server = try HTTPTestServer()
        let cache = try TemporaryDirectory(prefix: "sluice-jars")
        let store = JarStore(directory: cache.url, http: HTTPClient())
        let url = server.url("/bytes/70000").absoluteString
        let jar = try await store.resolve(try Self.spec(jarURI: url))
        let bytes = try Data(contentsOf: jar.file)
        #expect(bytes.count == 70_000)
        #expect(jar.sha256 == SHA256.hash(data: bytes).hexString)
        #expect(jar.name == "70000")

        let verified = try await store.resolve(try Self.spec(jarURI: url, sha256: jar.sha256))
        #expect(verified.file == jar.file)

        let wrong = String(repeating: "0", count: 64)
        let error = await #expect(throws: FlinkError.self) { try await store.resolve(try Self.spec(jarURI: url, sha256: wrong)) }
        #expect(error?.message.contains(wrong) == true)
        #expect(error?.message.contains(jar.sha256) == true)
    }

    @Test("file:// jars come only from roots the host allows, never from any path a commit names")
    func localJarRoots() async throws {
        let outside = try TemporaryDirectory(prefix: "sluice-jar-outside")
        let jarFile = try outside.write("job.jar", "PK-not-really-a-jar")
        let cache = try TemporaryDirectory(prefix: "sluice-jars")
        let store = JarStore(directory: cache.url, http: HTTPClient())
        for uri in ["file://\(jarFile.path)", "file:///etc/passwd", "file://\(outside.path)/../\(outside.url.lastPathComponent)/job.jar"] {
            let error = await #expect(throws: HostPathPolicy.Refusal.self) { try await store.resolve(try Self.spec(jarURI: uri)) }
            #expect(error?.hint?.contains("--allowed-path-root") == true)
        }
        HostPathPolicy.shared.allow(outside.path)
        let jar = try await store.resolve(try Self.spec(jarURI: "file://\(jarFile.path)"))
        #expect(jar.name == "job.jar")
    }

    @Test("a jar committed to the spec repository is read from the tree being applied")
    func repositoryPath() async throws {
        let repo = try TemporaryDirectory(prefix: "sluice-jar-repo")
        _ = try repo.write("artifacts/job.jar", "PK-not-really-a-jar")
        let cache = try TemporaryDirectory(prefix: "sluice-jars")
        let store = JarStore(directory: cache.url, http: HTTPClient(), repository: DirectoryTree(path: repo.path))
        let jar = try await store.resolve(try Self.spec(jarURI: "artifacts/job.jar"))
        #expect(try String(contentsOf: jar.file, encoding: .utf8) == "PK-not-really-a-jar")
        #expect(jar.name == "job.jar")
        await #expect(throws: FlinkError.self) { try await store.resolve(try Self.spec(jarURI: "artifacts/missing.jar")) }
    }

    @Test("local:// names a path in a container image and says how to map it")
    func localScheme() async throws {
        let store = JarStore(directory: URL(fileURLWithPath: "/nonexistent"), http: HTTPClient())
        let error = await #expect(throws: FlinkError.self) { try await store.resolve(try Self.spec(jarURI: "local:///opt/flink/usrlib/job.jar")) }
        #expect(error?.hint?.contains(JobSpec.jarURIAnnotation) == true)
    }

    @Test("the sluice.dev/jar-uri annotation overrides jarURI for this driver")
    func annotationOverride() throws {
        let yaml = """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: j, annotations: {sluice.dev/jar-uri: "file:///srv/jars/job.jar"}}
            spec: {job: {jarURI: "local:///opt/flink/usrlib/job.jar", parallelism: 2, args: ["--x", 3]}, flinkConfiguration: {a: 1, b: true}}
            """
        let spec = try #require(JobSpec(try YAML.parseDocument(Array(yaml.utf8), file: "j.yaml")))
        #expect(spec.jarURI == "file:///srv/jars/job.jar")
        #expect(spec.args == ["--x", "3"])
        #expect(spec.flinkConfiguration == ["a": "1", "b": "true"])
        #expect(spec.upgradeMode == .stateless && spec.state == .running)
    }
}

@Suite("Sluice job ids")
struct JobOwnerTests {
    @Test("ids say which object and spec a job runs, and are new for every submission")
    func encoding() {
        let owner = JobOwner(cluster: "c", object: "FlinkDeployment.flink.apache.org ns/a")
        let other = JobOwner(cluster: "c", object: "FlinkDeployment.flink.apache.org ns/b")
        let spec = String(repeating: "ab", count: 32)
        let first = owner.newJobID(specHash: spec), second = owner.newJobID(specHash: spec)
        #expect(first.count == 32 && first.allSatisfy(\.isHexDigit))
        #expect(first != second)
        #expect(owner.owns(first) && !other.owns(first))
        #expect(JobOwner.isSluiceJob(first))
        #expect(!JobOwner.isSluiceJob("00000000000000000000000000000000"))
        #expect(first.dropFirst(16).prefix(8) == "abababab", "digits 17-24 are the spec hash's first eight")
        #expect(JobOwner(cluster: "other", object: owner.object).key != owner.key, "the cluster is part of the owner")
    }
}
