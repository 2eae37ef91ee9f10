import Foundation
import SluiceHTTP
import SluiceYAML

/// Reads from an HTTP service inside the cluster through the API server's service proxy
/// (`GET /api/v1/namespaces/<namespace>/services/<name>:<port>/proxy/<path>`), with the client's
/// own credentials, connection and request cap: nothing but the API server needs to be reachable.
///
/// Only GET is sent (the grant it needs is `get` on `services/proxy`). Each request is one attempt
/// (a service that does not answer now is asked at the next reading), bounded by `limits`. An
/// answer of the API server itself (its `Status` object: 403 without the grant, 404 for a Service
/// without Endpoints, 503 "no endpoints available") is thrown as `KubernetesError`; any other
/// answer is the service's and is returned as it came.
public struct KubernetesServiceProxy: HTTPTransport {
    public let namespace: String
    public let service: String
    /// The Service's port, by name or number.
    public let port: String
    /// Where requests are addressed: the proxy's URL on the API server, ending in `/proxy/`.
    public let baseURL: URL
    private let client: KubernetesClient
    private let limits: KubernetesClient.RequestLimits
    private let proxyPath: String

    /// A proxy to `service`'s `port` in `namespace`; nil when a name is not a DNS label (it goes
    /// into the API server's path, so nothing else is let through).
    init?(client: KubernetesClient, namespace: String, service: String, port: String, timeout: Duration?, maxResponseBytes: Int?) {
        guard Self.isLabel(namespace), Self.isLabel(service), Self.isLabel(port) else { return nil }
        self.client = client
        self.namespace = namespace
        self.service = service
        self.port = port
        limits = .init(timeout: timeout, maxResponseBytes: maxResponseBytes)
        proxyPath = "/api/v1/namespaces/\(namespace)/services/\(service):\(port)/proxy/"
        var text = client.server.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text + proxyPath) else { return nil }
        baseURL = url
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let subject = KubernetesClient.Subject(verb: "get", object: "service \(namespace)/\(service):\(port) through the API server's proxy",
                                               resource: "services/proxy", scope: .namespace(namespace))
        let base = baseURL.absoluteString, requested = request.url.absoluteString
        guard request.method == .GET, requested.hasPrefix(base) else {
            throw KubernetesError(verb: subject.verb, object: subject.object, server: client.displayServer,
                                  serverMessage: "only GET requests under \(base) go through the service proxy; nothing was sent",
                                  resource: subject.resource)
        }
        var relative = String(requested.dropFirst(base.count))
        var query: [(String, String)] = []
        if let mark = relative.firstIndex(of: "?") {
            let items = URLComponents(string: "?" + relative[relative.index(after: mark)...])?.queryItems ?? []
            query = items.map { ($0.name, $0.value ?? "") }
            relative = String(relative[..<mark])
        }
        // The path is the service's, below the proxy: no dot segment may climb out of it into
        // the API server's own paths (libcurl would remove them before sending).
        let segments = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.contains(where: { $0 == "." || $0 == ".." || $0.lowercased().contains("%2e") || $0.contains("%2F") || $0.contains("%2f") }) else {
            throw KubernetesError(verb: subject.verb, object: subject.object, server: client.displayServer,
                                  serverMessage: "the path \(relative) has dot segments; nothing was sent", resource: subject.resource)
        }
        let response = try await client.send(.GET, proxyPath + relative, query: query, idempotent: false, limits: limits, subject: subject)
        if !response.isSuccess, Self.isStatusObject(response.body) {
            throw client.failure(response, subject)
        }
        return response
    }

    /// Whether an error body is the API server's own `Status` object (a JobManager answers with
    /// `{"errors": [...]}`); the API server's are short, so a long body is the service's.
    static func isStatusObject(_ body: Data) -> Bool {
        guard body.count <= 64 << 10, let value = try? JSON.decode([UInt8](body), file: "<response>") else { return false }
        return value["kind"]?.stringValue == "Status" && value["apiVersion"]?.stringValue == "v1"
    }

    /// A DNS-1123 label or a port number: lowercase letters, digits and `-`, at most 63.
    static func isLabel(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 63, text.first != "-", text.last != "-" else { return false }
        return text.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }
    }
}

extension KubernetesClient {
    /// Reads from `service`'s `port` in `namespace` through the API server's service proxy, each
    /// request bounded by `timeout` and `maxResponseBytes`; nil when a name is not a DNS label.
    public func serviceProxy(namespace: String, service: String, port: String, timeout: Duration? = nil,
                             maxResponseBytes: Int? = nil) -> KubernetesServiceProxy? {
        KubernetesServiceProxy(client: self, namespace: namespace, service: service, port: port, timeout: timeout,
                               maxResponseBytes: maxResponseBytes)
    }
}
