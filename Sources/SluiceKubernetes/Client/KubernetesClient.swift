import Foundation
import SluiceCore
import SluiceHTTP
import SluiceYAML

/// A client for one Kubernetes API server: discovery and REST mapping, get/list/delete,
/// server-side apply, namespaces and leases. Object bodies are `Value`s (no typed mirror of the
/// Kubernetes API). Safe to use from many tasks at once; requests run in parallel.
public final class KubernetesClient: Sendable {
    /// The field manager that owns what this client applies (server-side apply).
    public let fieldManager: String
    /// The connection's default namespace, used for namespaced objects that name none.
    public let defaultNamespace: String
    let connection: KubernetesConnection
    let baseURL: URL
    let credentials: Credentials
    let http: HTTPClient
    let configuration: HTTPClientConfiguration
    let catalog = ResourceCatalog()
    let execClients = ExecClientCache()
    let gate: RequestGate

    /// A client for `connection`. Credentials from exec plugins come from `credentialCache` and are
    /// refreshed once when the server answers 401. `retry` governs retries of 429/5xx answers;
    /// `timeout` bounds each attempt; at most `maxConcurrentRequests` requests are in flight at once.
    public init(connection: KubernetesConnection, fieldManager: String = "sluice",
                credentialCache: ExecCredentialCache = .shared, retry: RetryPolicy = RetryPolicy(),
                timeout: Duration = .seconds(60), maxConcurrentRequests: Int = 32) throws {
        guard let url = URL(string: connection.server), let scheme = url.scheme?.lowercased(),
              scheme == "https" || scheme == "http", url.host != nil else {
            throw KubernetesConfigError("the API server address \(connection.server) in \(connection.source) is not an http(s) URL",
                                        hint: "set clusters[].cluster.server to https://<host>:<port>")
        }
        baseURL = url
        self.connection = connection
        self.fieldManager = fieldManager
        defaultNamespace = connection.namespace
        credentials = Credentials(authentication: connection.authentication, cache: credentialCache)
        var tls = TLSConfiguration(insecureSkipVerify: connection.insecureSkipTLSVerify, serverName: connection.tlsServerName)
        tls.certificateAuthority = try connection.certificateAuthority.map(Self.pem)
        if case .clientCertificate(let certificate, let key) = connection.authentication {
            tls.clientCertificate = try Self.pem(certificate)
            tls.clientKey = try Self.pem(key)
        }
        configuration = HTTPClientConfiguration(tls: tls, timeout: timeout, retry: retry,
                                                proxy: connection.proxyURL, userAgent: "sluice")
        http = HTTPClient(configuration: configuration)
        gate = RequestGate(limit: maxConcurrentRequests)
    }

    /// The API server's URL (no credentials).
    public var server: URL { baseURL }

    /// The server URL for messages: scheme, host, port and path, without user info or query.
    var displayServer: String {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)
        components?.user = nil
        components?.password = nil
        components?.query = nil
        components?.fragment = nil
        return components?.string ?? "the API server"
    }

    private static func pem(_ data: CredentialData) throws -> PEMSource {
        switch data {
        case .file(let path): return .file(path)
        case .inline(let bytes): return .data(Data(bytes))
        }
    }

    /// Tighter bounds than the client's for one request (nil keeps the client's).
    struct RequestLimits: Sendable {
        var timeout: Duration?
        var maxResponseBytes: Int?
    }

    /// What a failed request was about, for `KubernetesError`.
    struct Subject: Sendable {
        var verb: String
        var object: String
        var resource: String?
        var scope: KubernetesError.Scope? = nil
    }

    /// Sends one request with the current credentials; on 401 with refreshable credentials (exec
    /// plugin, token file) asks for new ones and sends it once more. Transport failures become
    /// `KubernetesError`; any HTTP status is returned for the caller to interpret.
    func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: HTTPBody = .empty,
              idempotent: Bool? = nil, limits: RequestLimits = RequestLimits(), subject: Subject) async throws -> HTTPResponse {
        var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false)!
        let basePath = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = basePath + path
        components.percentEncodedQuery = query.isEmpty ? nil : PathSegment.query(query)
        guard let url = components.url else {
            throw KubernetesError(verb: subject.verb, object: subject.object, server: displayServer,
                                  serverMessage: "cannot build a URL for \(path)")
        }
        var request = HTTPRequest(method, url, headers: ["Accept": "application/json"], body: body)
        if let idempotent { request.isIdempotent = idempotent }
        request.timeout = limits.timeout
        request.maxResponseBytes = limits.maxResponseBytes
        for attempt in 1...2 {
            let identity = try await credentials.current()
            request.headers["Authorization"] = identity.authorization
            let client = try identity.clientCertificatePEM == nil ? http : execClients.client(for: identity, base: configuration)
            let response: HTTPResponse
            await gate.acquire()
            do {
                response = try await client.send(request)
                await gate.release()
            } catch let error as HTTPError {
                await gate.release()
                var failure = KubernetesError(verb: subject.verb, object: subject.object, server: displayServer,
                                              serverMessage: error.message, resource: subject.resource, detailHint: error.hint)
                failure.scope = subject.scope
                failure.transportFailure = error.kind
                throw failure
            } catch {
                await gate.release()
                throw error
            }
            if response.status == 401, attempt == 1, await credentials.rejected() { continue }
            return response
        }
        preconditionFailure("the loop returns on its second attempt")
    }

    /// The error for a non-success response, with the server's Status message.
    func failure(_ response: HTTPResponse, _ subject: Subject) -> KubernetesError {
        let status = KubernetesError.parseStatus([UInt8](response.body))
        var message = status.message
        if message == nil, !response.body.isEmpty {
            // Not a Status object (a proxy in between?): show a short start of the body.
            message = String(decoding: response.body.prefix(200), as: UTF8.self)
        }
        var error = KubernetesError(verb: subject.verb, object: subject.object, server: displayServer, status: response.status,
                                    reason: status.reason, serverMessage: message, resource: subject.resource)
        error.scope = subject.scope
        return error
    }

    /// The body as a `Value`.
    func decode(_ response: HTTPResponse, _ subject: Subject) throws -> Value {
        do {
            return try JSON.decode([UInt8](response.body), file: "\(displayServer) response")
        } catch {
            throw KubernetesError(verb: subject.verb, object: subject.object, server: displayServer, status: response.status,
                                  serverMessage: "the response is not JSON: \(error)", resource: subject.resource)
        }
    }
}

/// HTTP clients for client certificates that exec plugins return (the TLS identity is fixed per
/// HTTP client); keeps the latest one, since plugins rotate rarely.
final class ExecClientCache: @unchecked Sendable {
    private let lock = NSLock()
    private var current: (key: String, client: HTTPClient)?

    func client(for identity: Credentials.Identity, base: HTTPClientConfiguration) throws -> HTTPClient {
        let certificate = identity.clientCertificatePEM ?? "", key = identity.clientKeyPEM ?? ""
        return lock.withLock {
            if let current, current.key == certificate + key { return current.client }
            var configuration = base
            configuration.tls.clientCertificate = .data(Data(certificate.utf8))
            configuration.tls.clientKey = .data(Data(key.utf8))
            let client = HTTPClient(configuration: configuration)
            current = (certificate + key, client)
            return client
        }
    }
}
