import Crypto
import Foundation
import SluiceCore

/// Git forge webhooks that tell Sluice to fetch now: GitHub (`X-Hub-Signature-256`), GitLab
/// (`X-Gitlab-Token`), Gitea (`X-Gitea-Signature`) and a generic HMAC receiver
/// (`X-Sluice-Signature: sha256=<hex>`). Every check is constant-time; an unsigned or wrongly
/// signed delivery is refused before its body is read as JSON.
public struct WebhookVerifier: Sendable {
    /// Which forge sent a delivery, by its headers.
    public enum Source: String, Sendable, CaseIterable {
        case github, gitlab, gitea, generic
    }

    /// A verified delivery: what it asks for.
    public struct Delivery: Sendable, Equatable {
        public var source: Source
        /// The pushed ref (`refs/heads/main`), when the event is a push.
        public var ref: String?
        /// The commit the ref points at after the push.
        public var after: String?
        /// `push`, `ping`, ... as the forge names the event.
        public var event: String
        /// The forge's id of this delivery (`X-GitHub-Delivery`, GitLab's `X-Gitlab-Event-UUID` or
        /// `Idempotency-Key`, `X-Gitea-Delivery`, `X-Sluice-Delivery`); a redelivery repeats it.
        public var id: String?

        public init(source: Source, ref: String?, after: String?, event: String, id: String? = nil) {
            self.source = source
            self.ref = ref
            self.after = after
            self.event = event
            self.id = id
        }
    }

    /// Why a delivery was refused; never contains the secret or the signature sent.
    public struct Rejection: SluiceError, Equatable {
        public var message: String
        public var hint: String?
    }

    private let secret: [UInt8]

    public init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    /// Verifies a delivery by its (lower-cased) headers and raw body.
    public func verify(headers: [String: String], body: [UInt8]) throws(Rejection) -> Delivery {
        let source: Source
        if let signature = headers["x-hub-signature-256"] {
            source = .github
            try expect(signature, equalsHMACWithPrefix: "sha256=", of: body, header: "X-Hub-Signature-256")
        } else if let token = headers["x-gitlab-token"] {
            source = .gitlab
            guard ConstantTime.equal(Array(token.utf8), secret) else {
                throw Rejection(message: "X-Gitlab-Token does not match the webhook secret", hint: "set the same secret token in GitLab's webhook settings and in Sluice")
            }
        } else if let signature = headers["x-gitea-signature"] {
            source = .gitea
            try expect(signature, equalsHMACWithPrefix: "", of: body, header: "X-Gitea-Signature")
        } else if let signature = headers["x-sluice-signature"] {
            source = .generic
            try expect(signature, equalsHMACWithPrefix: "sha256=", of: body, header: "X-Sluice-Signature")
        } else {
            throw Rejection(message: "the delivery is not signed", hint: "configure the webhook with Sluice's secret (GitHub and Gitea sign with it, GitLab sends it as X-Gitlab-Token, others sign X-Sluice-Signature: sha256=<HMAC-SHA256 hex>)")
        }
        let event = headers["x-github-event"] ?? headers["x-gitlab-event"].map(Self.gitlabEvent) ?? headers["x-gitea-event"] ?? "push"
        let payload = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        let id: String?
        switch source {
        case .github: id = headers["x-github-delivery"]
        case .gitlab: id = headers["idempotency-key"] ?? headers["x-gitlab-event-uuid"]
        case .gitea: id = headers["x-gitea-delivery"]
        case .generic: id = headers["x-sluice-delivery"]
        }
        if let id, id.isEmpty || id.count > DeliveryLog.maxIDLength {
            throw Rejection(message: "the delivery id is empty or longer than \(DeliveryLog.maxIDLength) characters", hint: "send the forge's own delivery id")
        }
        return Delivery(source: source, ref: payload?["ref"] as? String, after: (payload?["after"] as? String) ?? (payload?["checkout_sha"] as? String),
                        event: event, id: id)
    }

    private func expect(_ signature: String, equalsHMACWithPrefix prefix: String, of body: [UInt8], header: String) throws(Rejection) {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        let expected = Array((prefix + Data(mac).hexString).utf8)
        guard ConstantTime.equal(Array(signature.lowercased().utf8), expected) else {
            throw Rejection(message: "\(header) does not match the body signed with the webhook secret", hint: "check that the forge and Sluice use the same secret")
        }
    }

    /// GitLab names events "Push Hook", "Tag Push Hook", ...
    static func gitlabEvent(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: " hook", with: "").replacingOccurrences(of: " ", with: "_")
    }

    /// The signature a generic sender puts in `X-Sluice-Signature` (also used by tests).
    public static func signature(of body: [UInt8], secret: String) -> String {
        "sha256=" + Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(secret.utf8)))).hexString
    }
}
