import Crypto
import Foundation
import SluiceCore
import SluiceGit
import SluiceHTTP
import SluiceSync

/// Tells the outside world how a sync went: a commit status on the forge (GitHub, GitLab) for the
/// synced commit, and a generic outgoing webhook (JSON, HMAC-signed). Failures to notify are
/// logged by the caller, never fail the sync.
public struct Notifier: Sendable {
    public enum Target: Sendable {
        /// `POST {api}/repos/{repository}/statuses/{sha}` with a bearer token.
        case github(api: URL, repository: String, token: String)
        /// `POST {api}/projects/{project}/statuses/{sha}` with `PRIVATE-TOKEN`.
        case gitlab(api: URL, project: String, token: String)
        /// `POST url` with the sync summary; signed `X-Sluice-Signature: sha256=<HMAC>` when a secret is set.
        case webhook(url: URL, secret: String?)
    }

    /// One notification sent.
    public struct Delivery: Sendable {
        public var target: String
        public var status: Int
        public var body: Data
    }

    public let targets: [Target]
    private let http: HTTPClient

    public init(targets: [Target], http: HTTPClient = HTTPClient(configuration: .init(timeout: .seconds(20)))) {
        self.targets = targets
        self.http = http
    }

    /// Notifies every target about a round that synced something, or that refused a new head for
    /// its signature (once per head and reason); other rounds say nothing.
    public func notify(_ round: ReconcileLoop.Round) async throws -> [Delivery] {
        if let unverified = round.unverified {
            return round.newlyUnverified ? try await notify(unverified) : []
        }
        guard let report = round.synced, let revision = round.revision else { return [] }
        let succeeded = report.succeeded
        let failed = report.clusters.filter { ![.synced, .unchanged].contains($0.status) }.map(\.cluster)
        let description = succeeded ? "synced to \(report.clusters.count) cluster(s)" : "not in sync: \(failed.joined(separator: ", "))"
        var deliveries: [Delivery] = []
        for target in targets {
            let request: HTTPRequest
            let name: String
            switch target {
            case .github(let api, let repository, let token):
                name = "github"
                let body = try JSONSerialization.data(withJSONObject: ["state": succeeded ? "success" : "failure", "context": "sluice",
                                                                       "description": String(description.prefix(140))])
                request = HTTPRequest(.POST, api.appendingPathComponent("repos/\(repository)/statuses/\(revision)"),
                                      headers: ["Authorization": "Bearer \(token)", "Accept": "application/vnd.github+json"], body: .json(body))
            case .gitlab(let api, let project, let token):
                name = "gitlab"
                var components = URLComponents(url: api.appendingPathComponent("projects/\(project)/statuses/\(revision)"), resolvingAgainstBaseURL: false)!
                components.queryItems = [URLQueryItem(name: "state", value: succeeded ? "success" : "failed"), URLQueryItem(name: "name", value: "sluice"),
                                         URLQueryItem(name: "description", value: String(description.prefix(140)))]
                request = HTTPRequest(.POST, components.url!, headers: ["PRIVATE-TOKEN": token])
            case .webhook(let url, let secret):
                name = "webhook"
                let summary: [String: Any] = [
                    "revision": revision, "succeeded": succeeded, "reason": round.reason.description,
                    "clusters": report.clusters.map { ["name": $0.cluster, "status": $0.status.rawValue, "message": $0.message] },
                ]
                let body = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
                var headers: HTTPHeaders = ["X-Sluice-Event": succeeded ? "sync.succeeded" : "sync.failed"]
                if let secret { headers.add("X-Sluice-Signature", WebhookVerifier.signature(of: Array(body), secret: secret)) }
                request = HTTPRequest(.POST, url, headers: headers, body: .json(body))
            }
            let response = try await http.send(request)
            deliveries.append(Delivery(target: name, status: response.status, body: response.body))
        }
        return deliveries
    }

    /// A failed commit status on the refused head, and a `commit.unverified` webhook event.
    private func notify(_ unverified: UnverifiedRevision) async throws -> [Delivery] {
        let revision = unverified.revision
        let description = String("unverified: \(unverified.error.reason.phrase) \(unverified.error.signerSummary)".prefix(140))
        var deliveries: [Delivery] = []
        for target in targets {
            let request: HTTPRequest
            let name: String
            switch target {
            case .github(let api, let repository, let token):
                name = "github"
                let body = try JSONSerialization.data(withJSONObject: ["state": "failure", "context": "sluice", "description": description])
                request = HTTPRequest(.POST, api.appendingPathComponent("repos/\(repository)/statuses/\(revision)"),
                                      headers: ["Authorization": "Bearer \(token)", "Accept": "application/vnd.github+json"], body: .json(body))
            case .gitlab(let api, let project, let token):
                name = "gitlab"
                var components = URLComponents(url: api.appendingPathComponent("projects/\(project)/statuses/\(revision)"), resolvingAgainstBaseURL: false)!
                components.queryItems = [URLQueryItem(name: "state", value: "failed"), URLQueryItem(name: "name", value: "sluice"),
                                         URLQueryItem(name: "description", value: description)]
                request = HTTPRequest(.POST, components.url!, headers: ["PRIVATE-TOKEN": token])
            case .webhook(let url, let secret):
                name = "webhook"
                var summary: [String: Any] = [
                    "revision": revision, "succeeded": false, "unverified": unverified.summary,
                    "object": unverified.error.object, "reason": unverified.error.reason.rawValue,
                ]
                if let signer = unverified.error.signer { summary["signer"] = signer }
                if let fingerprint = unverified.error.fingerprint { summary["fingerprint"] = fingerprint }
                let body = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
                var headers: HTTPHeaders = ["X-Sluice-Event": "commit.unverified"]
                if let secret { headers.add("X-Sluice-Signature", WebhookVerifier.signature(of: Array(body), secret: secret)) }
                request = HTTPRequest(.POST, url, headers: headers, body: .json(body))
            }
            let response = try await http.send(request)
            deliveries.append(Delivery(target: name, status: response.status, body: response.body))
        }
        return deliveries
    }
}
