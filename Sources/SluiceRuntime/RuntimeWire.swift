#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceFlink
import SluiceSpec
import SluiceYAML

/// The runtime's HTTP API, version 1: what `sluice runtime serve` answers and the runtime driver
/// sends. Objects travel as JSON text, as they are applied.
public enum RuntimeWire {
    /// `GET /v1/objects`: one live object.
    public struct LiveObjectBody: Codable, Sendable {
        public var identity: ObjectIdentity
        public var object: String
        public var health: Health?
        /// Set (and true) when the runtime lost the object's job.
        public var isLost: Bool?

        public init(_ live: LiveObject) {
            identity = live.identity
            object = JSON.encode(live.value, sortedKeys: true)
            health = live.health
            isLost = live.isLost ? true : nil
        }

        public func liveObject() throws -> LiveObject {
            var live = LiveObject(identity: identity, value: try JSON.decode(object, file: "runtime response"), health: health)
            live.isLost = isLost ?? false
            return live
        }
    }

    /// `POST /v1/apply`: one `JobChange`.
    public struct ApplyRequest: Codable, Sendable {
        public var step: ActionKind
        public var identity: ObjectIdentity
        public var desired: String?
        public var specHash: String?
        /// The revision `desired` was rendered from (absent from a Sluice that did not send it).
        public var revision: String?
        public var live: String?
        /// Start a stateful job without state when none of it can be found (`sync --allow-state-loss`).
        public var allowStateLoss: Bool?

        public init(_ change: JobChange) {
            allowStateLoss = change.allowStateLoss ? true : nil
            step = change.kind
            identity = change.identity
            desired = change.desired.map { JSON.encode($0, sortedKeys: true) }
            specHash = change.specHash
            revision = change.revision
            live = change.live.map { JSON.encode($0, sortedKeys: true) }
        }

        /// The change asked for; an error for a step that is not one (`none`, `orphan`, `conflict`, `drift`).
        public func change() throws -> JobChange {
            let desired = try desired.map { try JSON.decode($0, file: "apply request") }
            let live = try live.map { try JSON.decode($0, file: "apply request") }
            guard let change = JobChange(step, identity: identity, desired: desired, specHash: specHash, revision: revision, live: live,
                                         allowStateLoss: allowStateLoss ?? false) else {
                throw FlinkError("\(step.rawValue) is not a step the runtime carries out", hint: "send create, update, rescale, upgrade, redeploy, savepoint, suspend, resume, restore or delete")
            }
            return change
        }
    }

    /// The answer to `POST /v1/apply`.
    public struct ApplyResponse: Codable, Sendable {
        public var jobID: String?
        public var savepointPath: String?
        public var message: String
    }

    /// `POST /v1/health` asks for one object's health.
    public struct HealthRequest: Codable, Sendable {
        public var identity: ObjectIdentity
        public init(identity: ObjectIdentity) { self.identity = identity }
    }

    /// Every failure answer: what went wrong and what to do.
    public struct Failure: Codable, Sendable {
        public var message: String
        public var hint: String?
    }
}
