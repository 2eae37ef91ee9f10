import Crypto
import SluiceCore
import SluiceYAML

/// The marks Sluice stamps on every object it applies, so live state can be read back from the
/// cluster alone: what is Sluice's, from which environment, revision and file, with which intent.
public enum Ownership {
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    public static let managedByValue = "sluice"
    public static let environmentLabel = "sluice.dev/environment"
    public static let revisionAnnotation = "sluice.dev/source-revision"
    public static let sourceAnnotation = "sluice.dev/source"
    public static let specHashAnnotation = "sluice.dev/spec-hash"

    /// Whether a live object carries Sluice's managed-by label: only such objects may ever be pruned.
    public static func isOwned(_ object: Value) -> Bool {
        object[path: "metadata", "labels", managedByLabel]?.stringValue == managedByValue
    }

    /// Adds the ownership labels; these are part of the intent, so they go into the spec hash.
    static func stampLabels(_ object: inout Value, environment: String) {
        setMetadata(&object, "labels", managedByLabel, .string(managedByValue))
        setMetadata(&object, "labels", environmentLabel, .string(environment))
    }

    /// Adds the annotations that describe where the object came from; they change with every
    /// commit, so they stay out of the spec hash.
    static func stampSource(_ object: inout Value, revision: String, source: String, specHash: String) {
        setMetadata(&object, "annotations", revisionAnnotation, .string(revision))
        setMetadata(&object, "annotations", sourceAnnotation, .string(source))
        setMetadata(&object, "annotations", specHashAnnotation, .string(specHash))
    }

    /// The SHA-256 of the object's canonical JSON (keys sorted), as lowercase hex.
    public static func specHash(of object: Value) -> String {
        SHA256.hash(data: JSON.encodedBytes(object, sortedKeys: true)).hexString
    }

    static func setMetadata(_ object: inout Value, _ field: String, _ key: String, _ value: Value) {
        guard case .map(var root) = object.kind else { return }
        var metadata = root["metadata"]?.mapValue ?? Mapping()
        var inner = metadata[field]?.mapValue ?? Mapping()
        inner[key] = value
        metadata[field] = Value(.map(inner), at: metadata[field]?.location)
        root["metadata"] = Value(.map(metadata), at: root["metadata"]?.location)
        object.kind = .map(root)
    }
}
