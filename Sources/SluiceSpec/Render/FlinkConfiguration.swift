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
    /// The kinds whose configuration Flink reads, and where it sits: a FlinkBlueGreenDeployment holds
    /// the FlinkDeployment spec of its blue and green children under `spec.template.spec`.
    static let paths: [String: [String]] = [
        "FlinkDeployment": ["spec", "flinkConfiguration"],
        "FlinkSessionJob": ["spec", "flinkConfiguration"],
        "FlinkBlueGreenDeployment": ["spec", "template", "spec", "flinkConfiguration"],
    ]

    /// Where the Flink configuration of a `kind` sits (`spec.flinkConfiguration` for a FlinkDeployment
    /// or FlinkSessionJob, `spec.template.spec.flinkConfiguration` for a FlinkBlueGreenDeployment).
    public static func path(ofKind kind: String) -> [String]? { paths[kind] }

    /// The Flink configuration of `object`, wherever its kind keeps it.
    public static func configuration(of object: Value) -> Value? {
        guard let path = object["kind"]?.stringValue.flatMap(path(ofKind:)) else { return nil }
        return value(object, at: path[...])
    }

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
                    out.append(Mapping.Entry(key: key, value: entry.value, keyLocation: entry.keyNodeLocation))
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
        guard let path = configurationPath(of: object), let configuration = value(object, at: path[...]),
              case .map(let map) = configuration.kind, map.contains(where: { $0.value.mapValue != nil }) else { return object }
        var flat = Mapping()
        for entry in flatten(map) { set(&flat, entry) }
        return replacing(object, at: path[...], with: Value(.map(flat), at: configuration.nodeLocation))
    }

    /// A JSON merge patch (RFC 7386) applied to `object`, with its `spec.flinkConfiguration` read as
    /// Flink reads it: `high-availability: {type: null}` removes `high-availability.type`, and
    /// `high-availability: null` removes every `high-availability.*` key, as it would remove the
    /// nested section. Anything else is plain RFC 7386.
    public static func mergePatch(_ patch: Value, into object: Value) -> Value {
        guard let path = configurationPath(of: object), let patchConfiguration = value(patch, at: path[...]),
              case .map(let changes) = patchConfiguration.kind
        else { return canonical(MergePatch.apply(patch, to: object)) }
        let patched = canonical(MergePatch.apply(removing(patch, at: path[...]), to: object))

        let existing = value(patched, at: path[...])
        var configuration = existing?.mapValue ?? Mapping()
        for change in sections(changes) {
            for key in configuration.keys where key.hasPrefix(change.key + ".") { configuration.removeValue(forKey: key) }
            if change.value.isNull {
                configuration.removeValue(forKey: change.key)
            } else {
                set(&configuration, change)
            }
        }
        return replacing(patched, at: path[...], with: Value(.map(configuration), at: existing?.nodeLocation ?? patchConfiguration.nodeLocation))
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
                    out.append(Mapping.Entry(key: key, value: entry.value, keyLocation: entry.keyNodeLocation))
                }
            }
        }
        walk(changes, "")
        return out
    }

    /// Where `object` keeps a configuration Flink reads, when it is one of the operator's kinds that has one.
    private static func configurationPath(of object: Value) -> [String]? {
        guard object["apiVersion"]?.stringValue.map({ ObjectIdentity.group(ofAPIVersion: $0) == KnownKinds.flinkGroup }) == true
        else { return nil }
        return object["kind"]?.stringValue.flatMap(path(ofKind:))
    }

    /// Sets a key in place when present, else appends it with the place it was written.
    private static func set(_ map: inout Mapping, _ entry: Mapping.Entry) {
        if map.index(of: entry.key) != nil { map[entry.key] = entry.value } else { map.append(entry) }
    }

    private static func value(_ object: Value, at path: ArraySlice<String>) -> Value? {
        guard let first = path.first else { return object }
        return object[first].flatMap { value($0, at: path.dropFirst()) }
    }

    /// `object` with the map at `path` set to `replacement`; unchanged when a parent on the way is not a map.
    private static func replacing(_ object: Value, at path: ArraySlice<String>, with replacement: Value) -> Value {
        guard let first = path.first else { return replacement }
        guard var map = object.mapValue, let child = map[first] else { return object }
        map[first] = replacing(child, at: path.dropFirst(), with: replacement)
        return Value(.map(map), at: object.nodeLocation)
    }

    /// `object` without the entry at `path` (the last key removed from its parent map).
    private static func removing(_ object: Value, at path: ArraySlice<String>) -> Value {
        guard let first = path.first, var map = object.mapValue, let child = map[first] else { return object }
        if path.count == 1 {
            map.removeValue(forKey: first)
        } else {
            map[first] = removing(child, at: path.dropFirst())
        }
        return Value(.map(map), at: object.nodeLocation)
    }
}
