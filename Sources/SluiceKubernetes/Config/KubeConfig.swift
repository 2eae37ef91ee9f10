import Foundation
import SluiceCore
import SluiceYAML

/// A merged view of one or more kubeconfig files, as kubectl builds it from `$KUBECONFIG`:
/// for every named cluster, user and context the first file that defines it wins, and the
/// first `current-context` set wins.
public struct KubeConfig: Sendable {
    /// A `clusters[].cluster` entry.
    public struct Cluster: Sendable, Hashable {
        public var server: String
        public var certificateAuthority: CredentialData?
        public var insecureSkipTLSVerify: Bool
        public var proxyURL: String?
        public var tlsServerName: String?
    }

    /// A `users[].user` entry: how to authenticate.
    public struct User: Sendable, Hashable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: CredentialData?
        public var clientKey: CredentialData?
        public var username: String?
        public var password: String?
        public var exec: ExecConfig?
    }

    /// A `contexts[].context` entry.
    public struct Context: Sendable, Hashable {
        public var cluster: String
        public var user: String
        public var namespace: String?
    }

    public var clusters: [String: Cluster]
    public var users: [String: User]
    public var contexts: [String: Context]
    public var currentContext: String?
    /// The files that were merged, in order.
    public var files: [String]

    /// Loads and merges `paths` (the first file wins per name, as kubectl merges).
    public static func load(paths: [String]) throws -> KubeConfig {
        var merged = KubeConfig(clusters: [:], users: [:], contexts: [:], currentContext: nil, files: [])
        for path in paths where !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubernetesConfigError("cannot read kubeconfig \(path)", hint: "check the path (and $KUBECONFIG)")
            }
            let document = try YAML.parseDocuments([UInt8](data), file: path).first ?? .null
            try merged.merge(document, file: path)
        }
        if merged.files.isEmpty {
            throw KubernetesConfigError("no kubeconfig file given", hint: "set $KUBECONFIG or spec.kubernetes.kubeconfig")
        }
        return merged
    }

    /// The files kubectl would read: `$KUBECONFIG` (colon-separated) or `~/.kube/config`.
    public static func defaultPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return list.split(separator: ":").map(String.init)
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return ["\(home)/.kube/config"]
    }

    mutating func merge(_ document: Value, file: String) throws {
        files.append(file)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        // Relative paths in a kubeconfig are relative to the file, as kubectl resolves them.
        func resolve(_ path: String?) -> String? {
            guard let path, !path.isEmpty else { return nil }
            return path.hasPrefix("/") ? path : base.appendingPathComponent(path).path
        }
        if currentContext == nil, let current = document["current-context"]?.stringValue, !current.isEmpty {
            currentContext = current
        }
        for entry in document["clusters"]?.listValue ?? [] {
            guard let name = entry["name"]?.stringValue, clusters[name] == nil, let c = entry["cluster"] else { continue }
            guard let server = c["server"]?.stringValue else {
                throw KubernetesConfigError("cluster \(name) in \(file) has no server", location: c.location, hint: "add clusters[].cluster.server")
            }
            clusters[name] = Cluster(
                server: server,
                certificateAuthority: CredentialData(data: c["certificate-authority-data"]?.stringValue, file: resolve(c["certificate-authority"]?.stringValue)),
                insecureSkipTLSVerify: c["insecure-skip-tls-verify"]?.boolValue ?? false,
                proxyURL: c["proxy-url"]?.stringValue, tlsServerName: c["tls-server-name"]?.stringValue)
        }
        for entry in document["users"]?.listValue ?? [] {
            guard let name = entry["name"]?.stringValue, users[name] == nil else { continue }
            let u = entry["user"] ?? [:]
            users[name] = User(
                token: u["token"]?.stringValue, tokenFile: resolve(u["tokenFile"]?.stringValue),
                clientCertificate: CredentialData(data: u["client-certificate-data"]?.stringValue, file: resolve(u["client-certificate"]?.stringValue)),
                clientKey: CredentialData(data: u["client-key-data"]?.stringValue, file: resolve(u["client-key"]?.stringValue)),
                username: u["username"]?.stringValue, password: u["password"]?.stringValue,
                exec: try u["exec"].map { try ExecConfig($0, file: file) })
        }
        for entry in document["contexts"]?.listValue ?? [] {
            guard let name = entry["name"]?.stringValue, contexts[name] == nil, let c = entry["context"],
                  let cluster = c["cluster"]?.stringValue else { continue }
            contexts[name] = Context(cluster: cluster, user: c["user"]?.stringValue ?? "", namespace: c["namespace"]?.stringValue)
        }
    }

    /// The connection settings of `context` (or the current context).
    public func connection(context name: String? = nil) throws -> KubernetesConnection {
        guard let contextName = name ?? currentContext else {
            throw KubernetesConfigError("no context given and no current-context in \(files.joined(separator: ", "))",
                                        hint: "set spec.kubernetes.context, or run `kubectl config use-context`")
        }
        guard let context = contexts[contextName] else {
            throw KubernetesConfigError("context \(contextName) is not in \(files.joined(separator: ", "))",
                                        hint: "known contexts: \(contexts.keys.sorted().joined(separator: ", "))")
        }
        guard let cluster = clusters[context.cluster] else {
            throw KubernetesConfigError("context \(contextName) names cluster \(context.cluster), which is not defined",
                                        hint: "known clusters: \(clusters.keys.sorted().joined(separator: ", "))")
        }
        let user = users[context.user] ?? User()
        var auth: KubernetesConnection.Authentication = .none
        if let exec = user.exec {
            auth = .exec(exec)
        } else if let token = user.token {
            auth = .bearerToken(token)
        } else if let file = user.tokenFile {
            auth = .bearerTokenFile(file)
        } else if let cert = user.clientCertificate, let key = user.clientKey {
            auth = .clientCertificate(certificate: cert, key: key)
        } else if let username = user.username, let password = user.password {
            auth = .basic(username: username, password: password)
        }
        return KubernetesConnection(server: cluster.server, certificateAuthority: cluster.certificateAuthority,
                                    insecureSkipTLSVerify: cluster.insecureSkipTLSVerify, proxyURL: cluster.proxyURL,
                                    tlsServerName: cluster.tlsServerName, authentication: auth,
                                    namespace: context.namespace ?? "default", source: "context \(contextName) of \(files.joined(separator: ":"))")
    }
}

/// PEM data given inline (base64, as kubeconfig writes `*-data` fields) or as a file.
public enum CredentialData: Sendable, Hashable {
    case inline([UInt8])
    case file(String)

    init?(data: String?, file: String?) {
        if let data, let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters) {
            self = .inline([UInt8](decoded))
        } else if let file {
            self = .file(file)
        } else {
            return nil
        }
    }

    /// The PEM bytes.
    public func bytes() throws -> [UInt8] {
        switch self {
        case .inline(let bytes): return bytes
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KubernetesConfigError("cannot read \(path)", hint: "check the certificate or key path in the kubeconfig")
            }
            return [UInt8](data)
        }
    }
}

/// A kubeconfig or in-cluster configuration that cannot be used, with what to fix.
public struct KubernetesConfigError: SluiceError {
    public var message: String
    public var location: SourceLocation?
    public var hint: String?

    public init(_ message: String, location: SourceLocation? = nil, hint: String? = nil) {
        self.message = message
        self.location = location
        self.hint = hint
    }
}
