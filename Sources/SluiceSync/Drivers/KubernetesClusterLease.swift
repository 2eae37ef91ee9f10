import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceSpec

/// One Sluice at a time per Kubernetes cluster, across hosts: a `coordination.k8s.io/v1` Lease
/// on the cluster itself, held from planning until the sync ends (`close()`), renewed every third
/// of its duration while a long sync runs. The cluster is the one place every Sluice that drives
/// it shares, so the lock lives there; the `flock` of `ClusterLock` covers only one host.
///
/// The Lease is `<lockNamespace>/<instance>-sync-<cluster>` (`spec.kubernetes.lockNamespace`,
/// default `default`): two Sluice instances (`SLUICE_INSTANCE`) own disjoint ApplySets and never
/// wait for each other. Its holder identity names the command, pid and host (plus a token that
/// tells apart two holders in one process), so `kubectl get lease` shows who syncs.
///
/// A holder that dies stops renewing and the lease expires after `duration`; the next Sluice
/// takes it over then. A holder that cannot renew in time, or finds the lease taken, has lost it:
/// the driver refuses every further change of that sync (`checkHeld`). As client-go's leader
/// election, expiry is judged against the renew time the holder wrote, so hosts' clocks must be
/// roughly in step (well under the lease duration apart).
public actor KubernetesClusterLease {
    public nonisolated let cluster: String
    public nonisolated let namespace: String
    public nonisolated let name: String
    public nonisolated let duration: Duration
    private let client: KubernetesClient
    /// Tells apart two holders with the same command in one process (two drivers, two tests).
    private let token = String(UUID().uuidString.prefix(8)).lowercased()
    private var held: (holder: ClusterLock.Holder, identity: String)?
    private var lastRenewed: ContinuousClock.Instant?
    private var lostReason: String?
    private var renewal: Task<Void, Never>?

    /// 30 s: a crashed Sluice blocks the cluster at most that long; renewed every 10 s.
    public static let defaultDuration: Duration = .seconds(30)

    public init(cluster: String, client: KubernetesClient, namespace: String, name: String, duration: Duration = defaultDuration) {
        self.cluster = cluster
        self.client = client
        self.namespace = namespace
        self.name = name
        self.duration = duration
    }

    /// The lease of `cluster` for a Sluice `instance`: `<instance>-sync-<cluster>`, as a valid
    /// object name (lower case; a hash replaces what does not fit).
    public static func leaseName(cluster: String, instance: String) -> String {
        let raw = "\(instance)-sync-\(cluster)".lowercased()
        var name = String(raw.map { ($0.isLetter || $0.isNumber) && $0.isASCII || $0 == "-" ? $0 : "-" })
        name = String(name.drop { !$0.isLetter && !$0.isNumber })
        while let last = name.last, !last.isLetter && !last.isNumber { name.removeLast() }
        if name != raw || name.count > 63 {
            let digest = String(format: "%08x", raw.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 })
            name = String(name.prefix(54)) + "-" + digest
        }
        return name
    }

    /// The identity written into the lease for `holder`.
    func identity(of holder: ClusterLock.Holder) -> String {
        "\(holder.command) (pid \(holder.pid) on \(holder.host)) \(token)"
    }

    /// Takes the lease for `holder`, waiting up to `wait` for its holder to release it or let it
    /// expire. Taking it again while held returns at once.
    public func acquire(_ holder: ClusterLock.Holder, wait: Duration) async throws {
        if held != nil, lostReason == nil { return }
        let identity = identity(of: holder)
        let deadline = ContinuousClock.now + wait
        while true {
            let taken: Bool
            do {
                taken = try await client.tryAcquireLease(namespace: namespace, name: name, holder: identity, duration: duration)
            } catch {
                throw ClusterLeaseError(cluster: cluster, lease: "\(namespace)/\(name)", holder: nil, rawHolder: nil, expires: nil, reason: "\(error)")
            }
            if taken {
                held = (holder, identity)
                lostReason = nil
                lastRenewed = .now
                startRenewing()
                return
            }
            guard ContinuousClock.now < deadline else {
                let record = try? await client.lease(namespace: namespace, name: name)
                throw ClusterLeaseError(cluster: cluster, lease: "\(namespace)/\(name)",
                                        holder: record.flatMap { ClusterLock.Holder(leaseIdentity: $0.holderIdentity, since: $0.acquireTime) },
                                        rawHolder: record?.holderIdentity, expires: record?.expires)
            }
            try await Task.sleep(for: max(.zero, min(.milliseconds(500), deadline - .now)))
        }
    }

    /// Lets go of the lease (the end of a sync), so the next Sluice need not wait for it to expire.
    public func release() async {
        renewal?.cancel()
        renewal = nil
        guard let held else { return }
        self.held = nil
        _ = try? await client.releaseLease(namespace: namespace, name: name, holder: held.identity)
    }

    /// Throws when this process took the lease and has lost it since (not renewed in time, or
    /// taken over): another Sluice may be changing the cluster now.
    public func checkHeld() throws {
        guard let lostReason else { return }
        throw ClusterLeaseError(cluster: cluster, lease: "\(namespace)/\(name)", holder: nil, rawHolder: nil, expires: nil,
                                reason: nil, lost: lostReason)
    }

    /// Whether this process holds the lease now.
    public var isHeld: Bool { held != nil && lostReason == nil }

    private func startRenewing() {
        renewal?.cancel()
        let period = duration / 3
        renewal = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: period)
                guard !Task.isCancelled, let self, await self.renew() else { return }
            }
        }
    }

    /// One renewal; false once the lease is lost (no more renewals).
    private func renew() async -> Bool {
        guard let held, lostReason == nil else { return false }
        do {
            if try await client.tryAcquireLease(namespace: namespace, name: name, holder: held.identity, duration: duration) {
                lastRenewed = .now
                return true
            }
            let record = try? await client.lease(namespace: namespace, name: name)
            lostReason = "it was taken over by \(record?.holderIdentity ?? "another holder")"
        } catch {
            // A failed renewal is retried until the lease would have run out.
            guard let lastRenewed, ContinuousClock.now - lastRenewed >= duration else { return true }
            lostReason = "it could not be renewed for \(DurationText.format(duration)): \(error)"
        }
        return false
    }
}

extension ClusterLock.Holder {
    /// The holder a lease identity written by `KubernetesClusterLease` names:
    /// `<command> (pid <pid> on <host>) <token>`; `nil` for identities of another shape.
    public init?(leaseIdentity identity: String, since: Date?) {
        guard let open = identity.range(of: " (pid "), let on = identity.range(of: " on ", range: open.upperBound..<identity.endIndex),
              let close = identity.range(of: ")", options: .backwards, range: on.upperBound..<identity.endIndex),
              let pid = Int32(identity[open.upperBound..<on.lowerBound]) else { return nil }
        self.init(pid: pid, host: String(identity[on.upperBound..<close.lowerBound]), command: String(identity[..<open.lowerBound]),
                  since: since ?? Date())
    }
}

/// Another Sluice holds a cluster's Lease, or the Lease cannot be taken or was lost.
public struct ClusterLeaseError: SluiceError {
    public var cluster: String
    /// `namespace/name`.
    public var lease: String
    public var holder: ClusterLock.Holder?
    /// The lease's holder identity as written, when it is not one Sluice wrote.
    public var rawHolder: String?
    public var expires: Date?
    /// Why the lease could not be read or written.
    public var reason: String?
    /// Why a lease this process held was lost.
    public var lost: String?

    public init(cluster: String, lease: String, holder: ClusterLock.Holder?, rawHolder: String?, expires: Date?,
                reason: String? = nil, lost: String? = nil) {
        self.cluster = cluster
        self.lease = lease
        self.holder = holder
        self.rawHolder = rawHolder
        self.expires = expires
        self.reason = reason
        self.lost = lost
    }

    public var message: String {
        if let lost { return "cluster \(cluster): this Sluice lost the Lease \(lease) (\(lost)); stopping before another change" }
        if let reason { return "cluster \(cluster): cannot take the Lease \(lease) that keeps two Sluice processes apart: \(reason)" }
        let who = holder?.description ?? rawHolder.map { "\"\($0)\"" } ?? "holder unknown"
        let until = expires.map { ", until \(ISO8601DateFormatter().string(from: $0)) unless renewed" } ?? ""
        return "cluster \(cluster) is being changed by another Sluice process: \(who) holds the Lease \(lease)\(until)"
    }

    public var hint: String? {
        if lost != nil { return "run the sync again once the other Sluice has finished; check the API server's reachability" }
        if reason != nil {
            let namespace = lease.split(separator: "/").first.map(String.init) ?? "default"
            return "grant get, create and update on leases.coordination.k8s.io in the namespace \(namespace), or set spec.kubernetes.lockNamespace to a namespace where Sluice may"
        }
        if holder?.isServe == true {
            return "this cluster is managed by `sluice serve`; ask it to sync with `curl -X POST http://<serve address>/api/v1/sync` instead of running sync by hand"
        }
        return "wait until it has finished and run again (a lease whose holder died expires on its own); two processes changing one cluster at once can rewind a job's state"
    }
}
