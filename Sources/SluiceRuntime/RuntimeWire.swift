import Foundation
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

    /// `POST /v1/apply`.
    public struct ApplyRequest: Codable, Sendable {
        public var step: JobStep
        public var identity: ObjectIdentity
        public var desired: String?
        public var specHash: String?
        public var live: String?
        /// Start a stateful job without state when none of it can be found (`sync --allow-state-loss`).
        public var allowStateLoss: Bool?

        public init(step: JobStep, identity: ObjectIdentity, desired: Value?, specHash: String?, live: Value?, allowStateLoss: Bool = false) {
            self.allowStateLoss = allowStateLoss ? true : nil
            self.step = step
            self.identity = identity
            self.desired = desired.map { JSON.encode($0, sortedKeys: true) }
            self.specHash = specHash
            self.live = live.map { JSON.encode($0, sortedKeys: true) }
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
