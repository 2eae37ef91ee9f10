import SluiceCore
import SluiceYAML

/// One meaning for `spec.flinkConfiguration`, whether written nested or flat.
///
/// Flink 2 reads nested YAML (`high-availability: {type: kubernetes}`) exactly as the dotted key
/// (`high-availability.type: kubernetes`), and the operator compares configurations in their flat form
/// (`ConfigObjectNode.asFlatMap`). Sluice keeps the dotted form as the canonical one from the moment a
/// workload is placed, so patches, policies (`object.spec.flinkConfiguration['high-availability.type']`),
/// diffs and drivers all see one key for one setting.
public enum FlinkConfiguration {
    /// The kinds whose `spec.flinkConfiguration` Flink reads.
    static let kinds: Set<String> = ["FlinkDeployment", "FlinkSessionJob"]

    /// The dotted keys of a (possibly nested) configuration map, leaves in document order. A nested
    /// map contributes its leaves under `parent.child`; lists, scalars and nulls are leaves; an empty
    /// nested map sets nothing.
    public static func flatten(_ configuration: Mapping) -> [Mapping.Entry] {
        var out: [Mapping.Entry] = []
        func walk(_ map: Mapping, _ prefix: String) {
            for entry in map {
                let key = prefix.isEmpty ? entry.key : "\(prefix).\(entry.key)"
                if case .map(let nested) = entry.value.kind {
                    walk(nested, key)
                } else {
                    out.append(Mapping.Entry(key: key, value: entry.value, keyLocation: entry.keyLocation))
                }
            }
        }
        walk(configuration, "")
        return out
    }

    /// Keys that a configuration sets twice, once nested and once dotted, each with its second place.
    public static func duplicateKeys(_ configuration: Mapping) -> [Mapping.Entry] {
        var seen = Set<String>()
        return flatten(configuration).filter { !seen.insert($0.key).inserted }
    }

    /// `object` with its `spec.flinkConfiguration` in the dotted form; other objects unchanged.
    public static func canonical(_ object: Value) -> Value {
        guard applies(to: object), let configuration = object[path: "spec", "flinkConfiguration"],
              case .map(let map) = configuration.kind, map.contains(where: { $0.value.mapValue != nil }) else { return object }
        var flat = Mapping()
        for entry in flatten(map) { set(&flat, entry) }
        return replacingConfiguration(object, with: Value(.map(flat), at: configuration.location))
    }

    /// A JSON merge patch (RFC 7386) applied to `object`, with its `spec.flinkConfiguration` read as
    /// Flink reads it: `high-availability: {type: null}` removes `high-availability.type`, and
    /// `high-availability: null` removes every `high-availability.*` key, as it would remove the
    /// nested section. Anything else is plain RFC 7386.
    public static func mergePatch(_ patch: Value, into object: Value) -> Value {
        guard applies(to: object), var patchRoot = patch.mapValue, var patchSpec = patchRoot["spec"]?.mapValue,
              let patchConfiguration = patchSpec["flinkConfiguration"], case .map(let changes) = patchConfiguration.kind
        else { return canonical(MergePatch.apply(patch, to: object)) }
        patchSpec.removeValue(forKey: "flinkConfiguration")
        patchRoot["spec"] = Value(.map(patchSpec), at: patch["spec"]?.location)
        let patched = canonical(MergePatch.apply(Value(.map(patchRoot), at: patch.location), to: object))

        let existing = patched[path: "spec", "flinkConfiguration"]
        var configuration = existing?.mapValue ?? Mapping()
        for change in sections(changes) {
            for key in configuration.keys where key.hasPrefix(change.key + ".") { configuration.removeValue(forKey: key) }
            if change.value.isNull {
                configuration.removeValue(forKey: change.key)
            } else {
                set(&configuration, change)
            }
        }
        return replacingConfiguration(patched, with: Value(.map(configuration), at: existing?.location ?? patchConfiguration.location))
    }

    /// The patch's entries in dotted form, where a nested null or scalar stands for its whole section.
    private static func sections(_ changes: Mapping) -> [Mapping.Entry] {
        var out: [Mapping.Entry] = []
        func walk(_ map: Mapping, _ prefix: String) {
            for entry in map {
                let key = prefix.isEmpty ? entry.key : "\(prefix).\(entry.key)"
                if case .map(let nested) = entry.value.kind {
                    walk(nested, key)  // an empty section merges nothing
                } else {
                    out.append(Mapping.Entry(key: key, value: entry.value, keyLocation: entry.keyLocation))
                }
            }
        }
        walk(changes, "")
        return out
    }

    private static func applies(to object: Value) -> Bool {
        object["apiVersion"]?.stringValue.map { ObjectIdentity.group(ofAPIVersion: $0) == KnownKinds.flinkGroup } == true
            && object["kind"]?.stringValue.map(kinds.contains) == true
    }

    /// Sets a key in place when present, else appends it with the place it was written.
    private static func set(_ map: inout Mapping, _ entry: Mapping.Entry) {
        if map.index(of: entry.key) != nil { map[entry.key] = entry.value } else { map.append(entry) }
    }

    private static func replacingConfiguration(_ object: Value, with configuration: Value) -> Value {
        guard var root = object.mapValue, var spec = root["spec"]?.mapValue else { return object }
        spec["flinkConfiguration"] = configuration
        root["spec"] = Value(.map(spec), at: object["spec"]?.location)
        return Value(.map(root), at: object.location)
    }
}
