import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceSpec
import SluiceYAML

/// Reading `metadata.managedFields`: which field manager owns which fields of a live object.
enum ManagedFields {
    /// One manager's entry.
    struct Entry {
        var manager: String
        var operation: String
        var subresource: String?
        var fields: Value?
    }

    static func entries(of object: Value) -> [Entry] {
        (object[path: "metadata", "managedFields"]?.listValue ?? []).map { entry in
            Entry(manager: entry["manager"]?.stringValue ?? "", operation: entry["operation"]?.stringValue ?? "",
                  subresource: entry["subresource"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, fields: entry["fieldsV1"])
        }
    }

    /// The leaf field paths of a `FieldsV1` set (`f:data` → `f:extra-key` gives `[data, extra-key]`);
    /// a list whose elements are owned (`k:`, `v:`, `i:` keys) counts as one leaf.
    static func leafPaths(_ fields: Value?) -> [[String]] {
        var out: [[String]] = []
        func walk(_ node: Value?, _ prefix: [String]) {
            guard let map = node?.mapValue, !map.isEmpty else {
                if !prefix.isEmpty { out.append(prefix) }
                return
            }
            var children = 0, elements = 0
            for entry in map {
                if entry.key == "." { continue }
                if entry.key.hasPrefix("f:") {
                    children += 1
                    walk(entry.value, prefix + [String(entry.key.dropFirst(2))])
                } else {
                    elements += 1
                }
            }
            if (elements > 0 || children == 0) && !prefix.isEmpty { out.append(prefix) }
        }
        walk(fields, [])
        return out
    }

    /// Metadata other tools and Kubernetes' own controllers keep on objects, never drift:
    /// finalizers (the Flink operator's), owner references, and labels and annotations under
    /// Kubernetes' own prefixes (`deployment.kubernetes.io/revision`, ...).
    static func isKeptByDefault(_ keys: [String]) -> Bool {
        guard keys.first == "metadata", keys.count >= 2 else { return keys.first == "status" }
        switch keys[1] {
        case "finalizers", "ownerReferences", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName":
            return true
        case "labels", "annotations":
            guard keys.count >= 3 else { return false }
            return keys[2].contains("kubernetes.io/") || keys[2].contains("k8s.io/")
        default:
            return false
        }
    }

    /// The annotation on a desired object that keeps fields other managers add under the paths it
    /// lists (comma-separated, dotted: `data.extra-key, spec.replicas`).
    static let keepAnnotation = "sluice.dev/keep-fields"

    /// Fields of `live` that managers other than `fieldManager` own and `desired` does not set,
    /// except status writers', what Kubernetes keeps by default, and what the desired object's
    /// `sluice.dev/keep-fields` annotation keeps.
    static func foreignFields(live: Value, desired: Value, fieldManager: String) -> [LiveObject.ForeignField] {
        let kept = (desired[path: "metadata", "annotations", keepAnnotation]?.stringValue ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { $0.split(separator: ".").map(String.init) }
        var out: [LiveObject.ForeignField] = []
        var seen = Set<[String]>()
        for entry in entries(of: live) where entry.manager != fieldManager && entry.subresource != "status" {
            for keys in leafPaths(entry.fields) where !isKeptByDefault(keys) && seen.insert(keys).inserted {
                guard let value = Self.value(at: keys, in: live), Self.value(at: keys, in: desired) == nil,
                      !kept.contains(where: { keys.starts(with: $0) }) else { continue }
                out.append(LiveObject.ForeignField(keys: keys, manager: entry.manager, value: value))
            }
        }
        return out
    }

    static func value(at keys: [String], in object: Value) -> Value? {
        var current: Value? = object
        for key in keys { current = current?[key] }
        return current
    }
}

/// What Sluice last verified about each object it applied to one cluster: the spec hash, the
/// resourceVersion, the generation and a hash of the fields Sluice's manager owns. When an object
/// still matches (nothing but Sluice and status writers touched it since), planning needs no
/// dry-run apply for it. A cache only: a lost or stale file costs dry runs, never a wrong plan.
public final class KubernetesLiveCache: @unchecked Sendable {
    struct Entry: Codable {
        var specHash: String
        var resourceVersion: String
        var generation: Int?
        var fieldsHash: String
    }

    private let file: URL
    private let lock = NSLock()
    private var entries: [String: Entry]
    private var dirty = false

    public init(directory: URL, cluster: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = directory.appendingPathComponent("\(cluster).verified.json")
        entries = (try? JSONDecoder().decode([String: Entry].self, from: Data(contentsOf: file))) ?? [:]
    }

    /// Whether `live` is, verifiably, the object last verified at `specHash`.
    func isUnchanged(_ identity: ObjectIdentity, specHash: String, live: Value, fieldManager: String) -> Bool {
        guard let entry = lock.withLock({ entries[identity.description] }), entry.specHash == specHash,
              live[path: "metadata", "annotations", Ownership.specHashAnnotation]?.stringValue == specHash,
              live[path: "metadata", "deletionTimestamp"] == nil else { return false }
        var ours: Value?
        for managed in ManagedFields.entries(of: live) {
            if managed.manager == fieldManager, managed.subresource == nil { ours = managed.fields }
            else if managed.subresource != "status" { return false }  // another writer touched more than status
        }
        guard let ours, Self.hash(ours) == entry.fieldsHash else { return false }
        if live[path: "metadata", "resourceVersion"]?.stringValue == entry.resourceVersion { return true }
        // Status writes move the resourceVersion, never the generation; spec writes move both.
        guard let generation = live[path: "metadata", "generation"]?.intValue else { return false }
        return generation == entry.generation
    }

    /// Records `live` as matching `specHash` (after an apply, or a dry run that found no drift).
    func verified(_ identity: ObjectIdentity, specHash: String, live: Value, fieldManager: String) {
        guard let version = live[path: "metadata", "resourceVersion"]?.stringValue else { return }
        var fields: Value?
        for managed in ManagedFields.entries(of: live) where managed.subresource == nil && managed.operation == "Apply" && managed.manager == fieldManager {
            fields = managed.fields
        }
        guard let fields else { return }
        let entry = Entry(specHash: specHash, resourceVersion: version, generation: live[path: "metadata", "generation"]?.intValue, fieldsHash: Self.hash(fields))
        lock.withLock {
            entries[identity.description] = entry
            dirty = true
        }
    }

    func forget(_ identity: ObjectIdentity) {
        lock.withLock { dirty = entries.removeValue(forKey: identity.description) != nil || dirty }
    }

    func save() throws {
        let data: Data? = try lock.withLock {
            guard dirty else { return nil }
            dirty = false
            return try JSONEncoder().encode(entries)
        }
        try data?.write(to: file, options: .atomic)
    }

    /// Stable across runs: a digest, not Swift's seeded `Hasher`.
    static func hash(_ value: Value) -> String { Ownership.specHash(of: value) }
}
