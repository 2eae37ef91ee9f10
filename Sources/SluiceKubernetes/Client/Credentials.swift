import Foundation

/// Produces the credentials of each request from the connection's authentication: static tokens,
/// token files read at every use (so rotated service-account tokens are picked up), basic auth,
/// and exec plugins through the shared `ExecCredentialCache` (re-run when the server answers 401).
struct Credentials: Sendable {
    /// What one request presents.
    struct Identity: Sendable, Hashable {
        /// The `Authorization` header value, if any.
        var authorization: String?
        /// A client certificate and key (PEM) from an exec plugin, if it returned one.
        var clientCertificatePEM: String?
        var clientKeyPEM: String?
    }

    let authentication: KubernetesConnection.Authentication
    let cache: ExecCredentialCache

    /// The credentials to send now.
    func current() async throws -> Identity {
        switch authentication {
        case .none, .clientCertificate:
            return Identity()
        case .bearerToken(let token):
            return Identity(authorization: "Bearer \(token)")
        case .bearerTokenFile(let file):
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw KubernetesConfigError("cannot read the token file \(file)", hint: "check the kubeconfig's tokenFile or the mounted service-account token")
            }
            return Identity(authorization: "Bearer \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        case .basic(let username, let password):
            return Identity(authorization: "Basic \(Data("\(username):\(password)".utf8).base64EncodedString())")
        case .exec(let config):
            let credential = try await cache.credential(for: config)
            return Identity(authorization: credential.token.map { "Bearer \($0)" },
                            clientCertificatePEM: credential.clientCertificateData, clientKeyPEM: credential.clientKeyData)
        }
    }

    /// Called after a 401: forgets a cached exec credential. True when asking again may succeed.
    func rejected() async -> Bool {
        switch authentication {
        case .exec(let config):
            await cache.invalidate(config)
            return true
        case .bearerTokenFile:
            return true
        default:
            return false
        }
    }
}
