import Foundation
import SluiceCore
import SluiceHTTP
import SluiceYAML

extension KubernetesClient {
    /// One step of leader election on a `coordination.k8s.io/v1` Lease: creates the lease, renews
    /// it when `holder` holds it, or takes it over when its holder let it expire. True when `holder`
    /// holds the lease afterwards. Writes carry the read resourceVersion, so when two contenders race
    /// exactly one wins and the other gets 409 (false). `labels` and `annotations` are written
    /// into the lease's metadata (shard leases carry their group and index there).
    public func tryAcquireLease(namespace: String, name: String, holder: String, duration: Duration, now: Date = Date(),
                                labels: [String: String] = [:], annotations: [String: String] = [:]) async throws -> Bool {
        let ref = ObjectReference(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: namespace, name: name)
        let resource = try await resource(apiVersion: ref.apiVersion, kind: ref.kind)
        let seconds = max(1, Int(duration.seconds.rounded(.up)))
        let stamp = Self.microTime(now)
        let subject = Subject(verb: "update", object: ref.description, resource: resource.qualifiedName)

        guard let live = try await get(ref) else {
            let lease: Value = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": .map(Self.leaseMetadata(Mapping(), name: name, namespace: namespace, labels: labels, annotations: annotations)),
                "spec": ["holderIdentity": .string(holder), "leaseDurationSeconds": .int(seconds),
                         "acquireTime": .string(stamp), "renewTime": .string(stamp), "leaseTransitions": 0],
            ]
            let create = Subject(verb: "create", object: ref.description, resource: resource.qualifiedName)
            let response = try await send(.POST, resource.collectionPath(namespace: namespace),
                                          body: .json(Data(JSON.encode(lease).utf8)), subject: create)
            if response.status == 409 { return false }  // someone else created it first
            guard response.isSuccess else { throw failure(response, create) }
            return true
        }

        let spec = live["spec"]
        let current = spec?["holderIdentity"]?.stringValue ?? ""
        let renewed = (spec?["renewTime"]?.stringValue).flatMap(Self.parseMicroTime)
            ?? (spec?["acquireTime"]?.stringValue).flatMap(Self.parseMicroTime)
        let heldFor = TimeInterval(spec?["leaseDurationSeconds"]?.intValue ?? 0)
        let expired = renewed.map { $0.addingTimeInterval(heldFor) < now } ?? true
        guard current == holder || current.isEmpty || expired else { return false }

        var newSpec = spec?.mapValue ?? Mapping()
        newSpec["holderIdentity"] = .string(holder)
        newSpec["leaseDurationSeconds"] = .int(seconds)
        newSpec["renewTime"] = .string(stamp)
        if current != holder {
            newSpec["acquireTime"] = .string(stamp)
            newSpec["leaseTransitions"] = .int((spec?["leaseTransitions"]?.intValue ?? 0) + (current.isEmpty ? 0 : 1))
        }
        guard var updated = live.mapValue else { return false }
        updated["spec"] = .map(newSpec)
        updated["metadata"] = live["metadata"].map { metadata in
            var copy = Self.leaseMetadata(metadata.mapValue ?? Mapping(), name: name, namespace: namespace, labels: labels, annotations: annotations)
            copy["managedFields"] = nil
            return .map(copy)
        }
        // PUT with the resourceVersion just read: optimistic concurrency. Not retried by the HTTP
        // client: a retry after a lost answer would meet our own write and be refused (409).
        let response = try await send(.PUT, resource.objectPath(namespace: namespace, name: name),
                                      body: .json(Data(JSON.encode(.map(updated)).utf8)), idempotent: false, subject: subject)
        if response.status == 409 { return false }
        guard response.isSuccess else { throw failure(response, subject) }
        return true
    }

    /// `metadata` with its name and namespace, and `labels` and `annotations` merged in.
    static func leaseMetadata(_ metadata: Mapping, name: String, namespace: String, labels: [String: String],
                              annotations: [String: String]) -> Mapping {
        var metadata = metadata
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        for (field, entries) in [("labels", labels), ("annotations", annotations)] where !entries.isEmpty {
            var merged = metadata[field]?.mapValue ?? Mapping()
            for (key, value) in entries.sorted(by: { $0.key < $1.key }) { merged[key] = .string(value) }
            metadata[field] = .map(merged)
        }
        return metadata
    }

    /// RFC 3339 with microseconds in UTC, as Kubernetes writes MicroTime.
    static func microTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let whole = floor(date.timeIntervalSince1970)
        let micros = Int(((date.timeIntervalSince1970 - whole) * 1_000_000).rounded(.down))
        let base = formatter.string(from: Date(timeIntervalSince1970: whole))  // ...:SSZ
        let digits = String(micros)
        return String(base.dropLast()) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }

    /// Parses RFC 3339 times with or without a fraction of a second.
    static func parseMicroTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let dot = text.firstIndex(of: ".") else { return formatter.date(from: text) }
        var end = text.index(after: dot)
        while end < text.endIndex, text[end].isNumber { end = text.index(after: end) }
        let fraction = Double("0" + text[dot..<end]) ?? 0
        return formatter.date(from: String(text[..<dot]) + String(text[end...]))?.addingTimeInterval(fraction)
    }
}
