import Foundation

/// Everything needed to talk to one API server: where, which CA, and how to authenticate.
/// Secrets stay in memory and out of `description`.
public struct KubernetesConnection: Sendable, Hashable, CustomStringConvertible {
    public enum Authentication: Sendable, Hashable {
        case none
        case bearerToken(String)
        /// Read at every use, so rotated service-account tokens are picked up.
        case bearerTokenFile(String)
        case clientCertificate(certificate: CredentialData, key: CredentialData)
        case basic(username: String, password: String)
        case exec(ExecConfig)
    }

    public var server: String
    public var certificateAuthority: CredentialData?
    /// Allowed, but callers warn: the server's identity is not checked.
    public var insecureSkipTLSVerify: Bool
    public var proxyURL: String?
    public var tlsServerName: String?
    public var authentication: Authentication
    /// The context's default namespace.
    public var namespace: String
    /// Where the settings came from, for messages.
    public var source: String

    public var description: String {
        let auth: String
        switch authentication {
        case .none: auth = "no credentials"
        case .bearerToken: auth = "a bearer token"
        case .bearerTokenFile(let file): auth = "the token in \(file)"
        case .clientCertificate: auth = "a client certificate"
        case .basic(let user, _): auth = "basic auth as \(user)"
        case .exec(let exec): auth = "the exec plugin \(exec.command)"
        }
        return "\(server) with \(auth) (\(source))"
    }

    /// The pod's service account, as every in-cluster client finds it.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = "/var/run/secrets/kubernetes.io/serviceaccount"
    ) throws -> KubernetesConnection {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], let port = environment["KUBERNETES_SERVICE_PORT"] else {
            throw KubernetesConfigError("not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set",
                                        hint: "use a kubeconfig instead of spec.kubernetes.inCluster outside a cluster")
        }
        let tokenFile = "\(directory)/token"
        guard FileManager.default.fileExists(atPath: tokenFile) else {
            throw KubernetesConfigError("no service-account token at \(tokenFile)",
                                        hint: "mount a service account token (automountServiceAccountToken: true)")
        }
        let namespace = (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "default"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return KubernetesConnection(server: "https://\(hostPart):\(port)", certificateAuthority: .file("\(directory)/ca.crt"),
                                    insecureSkipTLSVerify: false, proxyURL: nil, tlsServerName: nil,
                                    authentication: .bearerTokenFile(tokenFile), namespace: namespace, source: "in-cluster service account")
    }
}
