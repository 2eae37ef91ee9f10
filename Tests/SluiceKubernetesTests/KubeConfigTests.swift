import Foundation
import SluiceHTTP
import SluiceKubernetes
import SluiceTestSupport
import SluiceYAML
import Testing

@Suite("kubeconfig and credentials")
struct KubeConfigTests {
    static let first = """
        apiVersion: v1
        kind: Config
        current-context: prod
        clusters:
          - name: prod
            cluster:
              server: https://prod.example:6443
              certificate-authority-data: \(Data("PROD-CA".utf8).base64EncodedString())
          - name: lab
            cluster:
              server: https://lab.example:6443
              insecure-skip-tls-verify: true
        users:
          - name: admin
            user:
              client-certificate: certs/admin.crt
              client-key-data: \(Data("KEY".utf8).base64EncodedString())
          - name: robot
            user:
              tokenFile: /var/run/robot-token
        contexts:
          - name: prod
            context: {cluster: prod, user: admin, namespace: flink}
          - name: lab
            context: {cluster: lab, user: robot}
        """

    static let second = """
        apiVersion: v1
        kind: Config
        current-context: other
        clusters:
          - name: prod
            cluster: {server: https://shadowed.example}
          - name: eks
            cluster: {server: https://eks.example}
        users:
          - name: aws
            user:
              exec:
                apiVersion: client.authentication.k8s.io/v1
                command: aws
                args: [eks, get-token]
        contexts:
          - name: eks
            context: {cluster: eks, user: aws}
        """

    @Test("files merge as kubectl merges them: first definition and first current-context win")
    func merge() throws {
        let dir = try TemporaryDirectory()
        let a = try dir.write("a/config", Self.first), b = try dir.write("b/config", Self.second)
        let config = try KubeConfig.load(paths: [a.path, b.path])
        #expect(config.currentContext == "prod")
        #expect(config.clusters["prod"]?.server == "https://prod.example:6443")
        #expect(Set(config.contexts.keys) == ["prod", "lab", "eks"])

        let prod = try config.connection()
        #expect(prod.namespace == "flink")
        #expect(prod.certificateAuthority == .inline(Array("PROD-CA".utf8)))
        // Relative paths resolve against the kubeconfig's own folder.
        #expect(prod.authentication == .clientCertificate(certificate: .file(dir.url.appendingPathComponent("a/certs/admin.crt").path), key: .inline(Array("KEY".utf8))))
        #expect(!prod.description.contains("KEY"))

        let lab = try config.connection(context: "lab")
        #expect(lab.insecureSkipTLSVerify)
        #expect(lab.authentication == .bearerTokenFile("/var/run/robot-token"))
        #expect(lab.namespace == "default")

        let eks = try config.connection(context: "eks")
        guard case .exec(let exec) = eks.authentication else { Issue.record("expected exec auth"); return }
        #expect(exec.command == "aws" && exec.args == ["eks", "get-token"])
    }

    @Test("tls-server-name: the API server's certificate is verified against it, not the address")
    func tlsServerName() async throws {
        let fake = try KubeFakeServer()  // reached at 127.0.0.1; its certificate names 127.0.0.1 and localhost
        func client(serverName: String) throws -> KubernetesClient {
            let text = try String(contentsOfFile: fake.kubeconfigPath, encoding: .utf8)
                .replacingOccurrences(of: "    server: \(fake.server)\n", with: "    server: \(fake.server)\n    tls-server-name: \(serverName)\n")
            let directory = try TemporaryDirectory(prefix: "sluice-kubeconfig")
            let file = try directory.write("config", text)
            let connection = try KubeConfig.load(paths: [file.path]).connection(context: "admin")
            #expect(connection.tlsServerName == serverName)
            return try KubernetesClient(connection: connection, credentialCache: ExecCredentialCache(), retry: .none)
        }
        let namespace = ObjectReference(apiVersion: "v1", kind: "Namespace", name: "default")
        _ = try await client(serverName: "localhost").get(namespace)
        let error = await #expect(throws: (any Error).self) { _ = try await client(serverName: "kubernetes.invalid").get(namespace) }
        #expect(String(describing: error).contains("TLS") || String(describing: error).contains("certificate"), "\(String(describing: error))")
    }

    @Test("client certificates (inline data) authenticate; without them or a token the server answers 401")
    func clientCertificate() async throws {
        let fake = try KubeFakeServer()
        let config = try KubeConfig.load(paths: [fake.kubeconfigPath])
        let connection = try config.connection(context: "certificate")
        guard case .clientCertificate = connection.authentication else {
            Issue.record("the certificate context reads as \(connection.authentication)")
            return
        }
        let client = try KubernetesClient(connection: connection, credentialCache: ExecCredentialCache(), retry: .none)
        let configMap = ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "by-certificate")
        _ = try await client.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "by-certificate", "namespace": "default"],
                                    "data": ["who": .string(fake.certificateUser)]])
        #expect(try await client.get(configMap)?[path: "data", "who"]?.stringValue == fake.certificateUser)

        var anonymous = connection
        anonymous.authentication = .none
        let error = await #expect(throws: (any Error).self) {
            _ = try await KubernetesClient(connection: anonymous, credentialCache: ExecCredentialCache(), retry: .none).get(configMap)
        }
        #expect(String(describing: error).contains("401") || String(describing: error).contains("Unauthorized"), "\(String(describing: error))")
    }

    @Test("an unknown context lists the known ones")
    func unknownContext() throws {
        let dir = try TemporaryDirectory()
        let config = try KubeConfig.load(paths: [try dir.write("config", Self.first).path])
        let error = #expect(throws: KubernetesConfigError.self) { try config.connection(context: "staging") }
        #expect(error?.hint?.contains("lab, prod") == true)
    }

    @Test("$KUBECONFIG is split like kubectl splits it")
    func defaultPaths() {
        #expect(KubeConfig.defaultPaths(environment: ["KUBECONFIG": "/a:/b", "HOME": "/h"]) == ["/a", "/b"])
        #expect(KubeConfig.defaultPaths(environment: ["HOME": "/h"]) == ["/h/.kube/config"])
    }

    @Test("in-cluster configuration from the service account")
    func inCluster() throws {
        let dir = try TemporaryDirectory()
        try dir.write("token", "t0ken\n")
        try dir.write("namespace", "sluice-system\n")
        let connection = try KubernetesConnection.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"], directory: dir.path)
        #expect(connection.server == "https://10.0.0.1:443")
        #expect(connection.namespace == "sluice-system")
        #expect(connection.authentication == .bearerTokenFile("\(dir.path)/token"))
        #expect(throws: KubernetesConfigError.self) { try KubernetesConnection.inCluster(environment: [:], directory: dir.path) }
    }

    @Test("exec plugins run once and are cached until their credential expires")
    func execPlugin() async throws {
        let dir = try TemporaryDirectory()
        let expiry = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        let script = try dir.write("plugin.sh", """
            #!/bin/sh
            # Records each run and checks that kubectl's exec info is passed.
            echo run >> "$(dirname "$0")/runs"
            case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) echo "no exec info" >&2; exit 3;; esac
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"\(expiry)"}}' "$PLUGIN_TOKEN"
            """)
        // Run through /bin/sh: executing a file just written can fail with ETXTBSY while parallel tests fork.
        let config = ExecConfig(command: "/bin/sh", args: [script.path], env: ["PLUGIN_TOKEN": "from-plugin"])
        let cache = ExecCredentialCache()
        #expect(try await cache.credential(for: config).token == "from-plugin")
        #expect(try await cache.credential(for: config).token == "from-plugin")
        #expect(try String(contentsOf: dir.url.appendingPathComponent("runs"), encoding: .utf8) == "run\n")
        // Close to expiry it runs again.
        _ = try await cache.credential(for: config, now: Date().addingTimeInterval(3590))
        #expect(await cache.runs["/bin/sh"] == 2)
    }

    @Test("a failing exec plugin reports its stderr and exit code, never its stdout")
    func execFailure() async throws {
        let dir = try TemporaryDirectory()
        let script = try dir.write("bad.sh", "#!/bin/sh\necho 'secret-partial' \necho 'please run aws sso login' >&2\nexit 2\n")
        let error = await #expect(throws: KubernetesConfigError.self) {
            try await ExecCredentialCache().credential(for: ExecConfig(command: "/bin/sh", args: [script.path]))
        }
        #expect(error?.message.contains("please run aws sso login") == true)
        #expect(error?.message.contains("exit 2") == true)
        #expect(error?.description.contains("secret-partial") == false)
    }
}
