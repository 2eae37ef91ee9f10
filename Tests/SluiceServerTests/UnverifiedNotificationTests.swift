import Foundation
import SluiceGit
import SluiceServer
import SluiceTestSupport
import SluiceYAML
import Testing

@Suite("Notifications about a refused head")
struct UnverifiedNotificationTests {
    static let head = "89abcdef0123456789abcdef0123456789abcdef"

    static func round(newly: Bool) -> ReconcileLoop.Round {
        var round = ReconcileLoop.Round(started: Date(), finished: Date(), revision: "0123456789abcdef0123456789abcdef01234567", gitReachable: true,
                                        plan: nil, synced: nil, outcome: .unverified, message: "unverified", reason: .webhook, fetchSeconds: 0, fetchError: nil)
        round.signaturesRequired = true
        round.unverified = UnverifiedRevision(revision: head, error: SignatureError(
            .untrustedSigner, object: "commit \(head.prefix(12))", revision: head, fingerprint: "SHA256:abcdefghijklmnop", detail: "the key is not in signers"))
        round.newlyUnverified = newly
        return round
    }

    @Test("a refused head gets a failed commit status and a commit.unverified event, once")
    func once() async throws {
        let server = try HTTPTestServer()
        let notifier = Notifier(targets: [
            .github(api: server.url("/echo/github"), repository: "acme/flink-specs", token: "gh-token"),
            .webhook(url: server.url("/echo/hook"), secret: "hook-secret"),
        ])
        let deliveries = try await notifier.notify(Self.round(newly: true))
        #expect(deliveries.map(\.status) == [200, 200])
        let echoes = try deliveries.map { try JSON.decode(Array($0.body)) }
        #expect(echoes[0]["path"]?.stringValue == "/echo/github/repos/acme/flink-specs/statuses/\(Self.head)", "the status goes on the refused commit")
        let github = try JSON.decode(echoes[0]["body"]?.stringValue ?? "")
        #expect(github["state"]?.stringValue == "failure")
        #expect(github["description"]?.stringValue?.contains("signer not trusted") == true)
        #expect(echoes[1][path: "headers", "x-sluice-event"]?.stringValue == "commit.unverified")
        let body = echoes[1]["body"]?.stringValue ?? ""
        #expect(echoes[1][path: "headers", "x-sluice-signature"]?.stringValue == WebhookVerifier.signature(of: Array(body.utf8), secret: "hook-secret"))
        let event = try JSON.decode(body)
        #expect(event["reason"]?.stringValue == "untrusted_signer")
        #expect(event["fingerprint"]?.stringValue == "SHA256:abcdefghijklmnop")
        #expect(event["unverified"]?.stringValue == "\(Self.head) signer not trusted: the key is not in signers (key SHA256:abcdefghijklmnop)")

        #expect(try await notifier.notify(Self.round(newly: false)).isEmpty, "the same refusal is not sent again every round")
    }
}
