import Foundation

/// A fake Kubernetes API server on 127.0.0.1 for client and driver tests: `kube-fake/fake_apiserver.py`
/// (Python standard library only) run as a subprocess on a free port over HTTPS, with a kubeconfig
/// that points at it. Stopped when the value is released.
///
/// It answers discovery, CRUD, label-selected and paginated lists, and server-side apply with
/// managed fields and conflicts in the real wire shapes (see the script's doc string). Tokens:
/// `adminToken` may do everything; `limitedToken` gets 403 Forbidden on writes in
/// `forbiddenNamespace`. The control methods inject failures (429s, latency), set an object's
/// status, and install or remove the Flink CRDs.
public final class KubeFakeServer: @unchecked Sendable {
    /// The port on 127.0.0.1.
    public let port: UInt16
    /// A token with every permission (user `admin`).
    public let adminToken = "admin-\(UUID().uuidString.prefix(12))"
    /// A token whose writes in `forbiddenNamespace` are refused (user `system:serviceaccount:sluice:limited`).
    public let limitedToken = "limited-\(UUID().uuidString.prefix(12))"
    /// The user name the limited token authenticates as.
    public let limitedUser = "system:serviceaccount:sluice:limited"
    /// A token bound by RoleBindings in `namespacedNamespaces` only (context `namespaced`): every
    /// verb there, nothing at the cluster scope, as a team's service account on a shared cluster.
    public let namespacedToken = "namespaced-\(UUID().uuidString.prefix(12))"
    public let namespacedUser = "system:serviceaccount:team-a:sluice"
    public let namespacedNamespaces: [String]
    /// The user a `certificate` context authenticates as (its client certificate's CN).
    public let certificateUser = "sluice-test-client"
    /// Where the limited token may not write.
    public let forbiddenNamespace: String
    /// The kubeconfig: current context `admin`, plus contexts `limited` (the limited token) and
    /// `certificate` (a client certificate whose CN, `certificateUser`, is the user).
    public let kubeconfigPath: String
    /// The CA certificate that signed the server's certificate.
    public var caCertificatePath: String { Self.certificates.caCertificate.path }
    private let workspace: TemporaryDirectory
    private let process: SpawnedProcess

    /// One throwaway PKI for all fakes in the process (making it costs several `openssl` runs).
    private static let certificates: TestCertificates = {
        do { return try TestCertificates() } catch { fatalError("cannot create test certificates: \(error)") }
    }()

    /// Starts a fake; `crdsInstalled: false` hides the flink.apache.org resources until `setCRDsInstalled(true)`.
    public init(crdsInstalled: Bool = true, forbiddenNamespace: String = "restricted", namespacedNamespaces: [String] = ["apps"]) throws {
        let workspace = try TemporaryDirectory(prefix: "sluice-kube-fake")
        self.forbiddenNamespace = forbiddenNamespace
        self.namespacedNamespaces = namespacedNamespaces
        let certificates = Self.certificates
        let config: [String: Any] = [
            "tokens": [adminToken: "admin", limitedToken: limitedUser, namespacedToken: namespacedUser],
            "limitedUsers": [limitedUser],
            "namespacedUsers": [namespacedUser: namespacedNamespaces],
            "forbiddenNamespaces": [forbiddenNamespace],
            "crds": crdsInstalled,
            "tls": ["cert": certificates.serverCertificate.path, "key": certificates.serverKey.path,
                    "clientCA": certificates.caCertificate.path],
        ]
        let configFile = workspace.url.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configFile)
        (process, port) = try startListening("fake kubernetes api server") { port in
            try SpawnedProcess("/usr/bin/python3", [Self.scriptPath, "serve", String(port), configFile.path],
                               cwd: workspace.url, stderrPath: workspace.url.appendingPathComponent("server.log").path)
        }
        self.workspace = workspace
        kubeconfigPath = workspace.url.appendingPathComponent("kubeconfig").path
        let certificate = try Data(contentsOf: certificates.clientCertificate).base64EncodedString()
        let key = try Data(contentsOf: certificates.clientKey).base64EncodedString()
        try writeKubeconfig(to: kubeconfigPath, users: [
            ("admin", "    token: \(adminToken)"),
            ("limited", "    token: \(limitedToken)"),
            ("namespaced", "    token: \(namespacedToken)"),
            ("certificate", "    client-certificate-data: \(certificate)\n    client-key-data: \(key)"),
        ])
    }

    /// `https://127.0.0.1:<port>`.
    public var server: String { "https://127.0.0.1:\(port)" }

    /// Writes another kubeconfig whose only user runs `command` as an exec credential plugin.
    public func writeExecKubeconfig(command: String, args: [String] = []) throws -> String {
        let path = workspace.url.appendingPathComponent("kubeconfig-exec-\(UUID().uuidString.prefix(8))").path
        var user = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: \(command)\n"
        user += "      interactiveMode: Never\n"
        if !args.isEmpty { user += "      args: [\(args.map { "\"\($0)\"" }.joined(separator: ", "))]\n" }
        try writeKubeconfig(to: path, users: [("exec", user)])
        return path
    }

    private func writeKubeconfig(to path: String, users: [(String, String)]) throws {
        let ca = try Data(contentsOf: Self.certificates.caCertificate).base64EncodedString()
        var text = "apiVersion: v1\nkind: Config\ncurrent-context: \(users[0].0)\nclusters:\n"
        text += "- name: fake\n  cluster:\n    server: \(server)\n    certificate-authority-data: \(ca)\n"
        text += "users:\n" + users.map { "- name: \($0.0)\n  user:\n\($0.1)\n" }.joined()
        text += "contexts:\n" + users.map { "- name: \($0.0)\n  context: {cluster: fake, user: \($0.0), namespace: default}\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// The requests the fake received, oldest first, as `METHOD /path?query` (the last 5,000).
    public func requests() throws -> [String] {
        let output = try control("requests", method: "GET")
        let data = Data(output.utf8)
        return (try JSONSerialization.jsonObject(with: data) as? [String]) ?? []
    }

    /// How many API requests the fake has answered since it started (the log keeps only the last 5,000).
    public func requestCount() throws -> Int {
        let output = try control("request-count", method: "GET")
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        return object?["count"] as? Int ?? 0
    }

    /// The next `count` API requests answer `status` (429 by default) with `Retry-After: retryAfterSeconds`.
    public func throttleNext(_ count: Int, retryAfterSeconds: Int = 1, status: Int = 429) throws {
        try control("throttle", ["count": count, "retryAfter": retryAfterSeconds, "code": status])
    }

    /// Every API request waits `milliseconds` before it is handled (0 turns this off).
    public func setLatency(milliseconds: Int) throws {
        try control("latency", ["ms": milliseconds])
    }

    /// Replaces an object's `status` (as its controller would), bumping its resourceVersion.
    /// `statusJSON` is a JSON object.
    public func setStatus(apiVersion: String, kind: String, namespace: String?, name: String, statusJSON: String) throws {
        let status = try JSONSerialization.jsonObject(with: Data(statusJSON.utf8))
        var body: [String: Any] = ["apiVersion": apiVersion, "kind": kind, "name": name, "status": status]
        body["namespace"] = namespace
        try control("status", body)
    }

    /// Installs (true) or removes (false) the flink.apache.org CRDs from discovery and the API.
    public func setCRDsInstalled(_ installed: Bool) throws {
        try control("crds", ["enabled": installed])
    }

    /// Where the limited token may not write.
    public func setForbiddenNamespaces(_ namespaces: [String]) throws {
        try control("rbac", ["forbiddenNamespaces": namespaces])
    }

    /// Installs or removes one flink.apache.org CRD by its name (`flinkstatesnapshots.flink.apache.org`),
    /// as on an operator older than that kind.
    public func setCRDInstalled(_ name: String, _ installed: Bool) throws {
        try control("crd", ["name": name, "installed": installed])
    }

    /// Refuses `verbs` (`list`, `get`, ...) on `resource` (`<plural>.<group>`, e.g.
    /// `flinkstatesnapshots.flink.apache.org`) to every user, in `namespaces` or everywhere when nil,
    /// with the 403 Forbidden Status a real API server answers when RBAC grants no such verb.
    /// An empty `verbs` gives the permissions back.
    public func setForbidden(_ resource: String, verbs: [String], namespaces: [String]? = nil) throws {
        var body: [String: Any] = ["resource": resource, "forbidden": verbs]
        body["namespaces"] = namespaces
        try control("authorization", body)
    }

    /// The fake's stderr, for failure messages.
    public var log: String {
        (try? String(contentsOf: workspace.url.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
    }

    deinit { process.stop(graceSeconds: 0) }

    @discardableResult
    private func control(_ name: String, _ body: [String: Any]) throws -> String {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        return try control(name, method: "POST", body: json)
    }

    /// Control calls go through the script itself (its `control` mode), which keeps this support
    /// target free of an HTTP client dependency.
    private func control(_ name: String, method: String, body: String? = nil) throws -> String {
        let arguments = [Self.scriptPath, "control", "\(server)/__fake/\(name)", method] + (body.map { [$0] } ?? [])
        return try runProcess("/usr/bin/python3", arguments, timeout: 20).stdout
    }

    /// The script lives beside this file in the source tree (tests always run from a checkout).
    private static let scriptPath: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("kube-fake/fake_apiserver.py").path
}

// MARK: - Service proxy

extension KubeFakeServer {
    /// Makes `url` the one endpoint behind port `port` (a port name, as the Service names it) of
    /// Service `namespace/service` for the API server's service proxy; nil removes it. The Service
    /// object itself must exist in the fake for the proxy to answer (as Endpoints follow Services).
    public func setServiceProxyBackend(namespace: String, service: String, port: String, url: URL?) throws {
        var body: [String: Any] = ["namespace": namespace, "service": service, "port": port]
        body["url"] = url?.absoluteString
        try control("service-proxy", body)
    }

    /// Refuses these users the `services/proxy` subresource (403), as RBAC without that rule does.
    public func setServiceProxyForbidden(users: [String]) throws {
        try control("service-proxy-rbac", ["forbiddenUsers": users])
    }
}
