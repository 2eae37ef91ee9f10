import Foundation
import SluiceCore
import SluiceServer
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

@Suite("Notifications after a sync")
struct NotifierTests {
    static func round(succeeded: Bool) -> ReconcileLoop.Round {
        let cluster = ClusterSyncResult(cluster: "edge", wave: 0, status: succeeded ? .synced : .failed,
                                        message: succeeded ? "1 change(s) applied and healthy" : "health gate timed out", actions: [])
        return ReconcileLoop.Round(started: Date(), finished: Date(), revision: "0123456789abcdef0123456789abcdef01234567", gitReachable: true,
                                   plan: nil, synced: SyncReport(revision: "0123", clusters: [cluster]), outcome: .synced, message: "", reason: .webhook,
                                   fetchSeconds: 0, fetchError: nil)
    }

    @Test("GitHub and GitLab commit statuses and a signed generic webhook, as the forges' APIs expect them")
    func deliveries() async throws {
        let server = try HTTPTestServer()
        let notifier = Notifier(targets: [
            .github(api: server.url("/echo/github"), repository: "acme/flink-specs", token: "gh-token"),
            .gitlab(api: server.url("/echo/gitlab"), project: "42", token: "gl-token"),
            .webhook(url: server.url("/echo/hook"), secret: "hook-secret"),
        ])
        let deliveries = try await notifier.notify(Self.round(succeeded: false))
        #expect(deliveries.map(\.status) == [200, 200, 200])
        let echoes = try deliveries.map { try JSON.decode(Array($0.body)) }

        #expect(echoes[0]["path"]?.stringValue == "/echo/github/repos/acme/flink-specs/statuses/0123456789abcdef0123456789abcdef01234567")
        #expect(echoes[0][path: "headers", "authorization"]?.stringValue == "Bearer gh-token")
        let github = try JSON.decode(echoes[0]["body"]?.stringValue ?? "")
        #expect(github["state"]?.stringValue == "failure" && github["context"]?.stringValue == "sluice")
        #expect(github["description"]?.stringValue?.contains("edge") == true)

        #expect(echoes[1]["path"]?.stringValue == "/echo/gitlab/projects/42/statuses/0123456789abcdef0123456789abcdef01234567")
        #expect(echoes[1]["query"]?.stringValue?.contains("state=failed") == true)
        #expect(echoes[1][path: "headers", "private-token"]?.stringValue == "gl-token")

        let body = echoes[2]["body"]?.stringValue ?? ""
        #expect(echoes[2][path: "headers", "x-sluice-signature"]?.stringValue == WebhookVerifier.signature(of: Array(body.utf8), secret: "hook-secret"))
        #expect(try JSON.decode(body)["succeeded"]?.boolValue == false)
        #expect(echoes[2][path: "headers", "x-sluice-event"]?.stringValue == "sync.failed")
    }

    @Test("a round that synced nothing notifies nobody")
    func quiet() async throws {
        let server = try HTTPTestServer()
        var round = Self.round(succeeded: true)
        round.synced = nil
        #expect(try await Notifier(targets: [.webhook(url: server.url("/echo"), secret: nil)]).notify(round).isEmpty)
    }
}
