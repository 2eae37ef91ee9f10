import Foundation
import SluiceHTTP
import SluiceYAML

extension KubernetesClient {
    /// What a `coordination.k8s.io/v1` Lease says about its holder.
    public struct LeaseRecord: Sendable, Equatable {
        /// Empty when nobody holds the lease (released).
        public var holderIdentity: String
        public var acquireTime: Date?
        public var renewTime: Date?
        public var durationSeconds: Int

        /// When the lease runs out unless its holder renews it; `nil` when it was never stamped.
        public var expires: Date? { (renewTime ?? acquireTime)?.addingTimeInterval(TimeInterval(durationSeconds)) }

        /// Whether anybody may take the lease at `now` (the rule `tryAcquireLease` applies).
        public func isFree(at now: Date) -> Bool {
            holderIdentity.isEmpty || (expires.map { $0 < now } ?? true)
        }
    }

    /// The lease `namespace/name`, or `nil` when it does not exist.
    public func lease(namespace: String, name: String) async throws -> LeaseRecord? {
        let ref = ObjectReference(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: namespace, name: name)
        guard let live = try await get(ref) else { return nil }
        return Self.leaseRecord(live)
    }

    public static func leaseRecord(_ live: Value) -> LeaseRecord {
        let spec = live["spec"]
        return LeaseRecord(holderIdentity: spec?["holderIdentity"]?.stringValue ?? "",
                           acquireTime: (spec?["acquireTime"]?.stringValue).flatMap(parseMicroTime),
                           renewTime: (spec?["renewTime"]?.stringValue).flatMap(parseMicroTime),
                           durationSeconds: spec?["leaseDurationSeconds"]?.intValue ?? 0)
    }

    /// Lets go of a lease that `holder` holds, as client-go's `ReleaseOnCancel` does: the holder
    /// is cleared and the duration set to one second, so the next contender takes it at once
    /// instead of waiting for it to expire. The write carries the read resourceVersion, so a
    /// lease someone else took meanwhile is left alone. True when the lease was released.
    @discardableResult
    public func releaseLease(namespace: String, name: String, holder: String, now: Date = Date()) async throws -> Bool {
        let ref = ObjectReference(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: namespace, name: name)
        guard let live = try await get(ref), Self.leaseRecord(live).holderIdentity == holder, var updated = live.mapValue else { return false }
        let resource = try await resource(apiVersion: ref.apiVersion, kind: ref.kind)
        var spec = live["spec"]?.mapValue ?? Mapping()
        spec["holderIdentity"] = nil
        spec["leaseDurationSeconds"] = .int(1)
        spec["renewTime"] = .string(Self.microTime(now))
        updated["spec"] = .map(spec)
        updated["metadata"] = live["metadata"].map { metadata in
            var copy = metadata.mapValue ?? Mapping()
            copy["managedFields"] = nil
            return .map(copy)
        }
        let subject = Subject(verb: "update", object: ref.description, resource: resource.qualifiedName)
        let response = try await send(.PUT, resource.objectPath(namespace: namespace, name: name),
                                      body: .json(Data(JSON.encode(.map(updated)).utf8)), idempotent: false, subject: subject)
        if response.status == 409 { return false }
        guard response.isSuccess else { throw failure(response, subject) }
        return true
    }
}
