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

    /// The SHA-256 of the object's canonical JSON (keys sorted), as lowercase hex. The JSON is hashed
    /// while it is written, a few KiB at a time, never held whole.
    public static func specHash(of object: Value) -> String {
        var hasher = SHA256()
        JSON.encode(object, sortedKeys: true) { hasher.update(bufferPointer: $0) }
        return hasher.finalize().withUnsafeBytes { digest in
            String(unsafeUninitializedCapacity: digest.count * 2) { text in
                let digits: StaticString = "0123456789abcdef"
                for (i, byte) in digest.enumerated() {
                    text[2 * i] = digits.utf8Start[Int(byte >> 4)]
                    text[2 * i + 1] = digits.utf8Start[Int(byte & 0x0F)]
                }
                return digest.count * 2
            }
        }
    }

    /// Sets `metadata.<field>.<key>`, making the maps on the way (a non-map in the way becomes an empty map).
    /// Changed in place: only maps shared with the source document are copied, once.
    static func setMetadata(_ object: inout Value, _ field: String, _ key: String, _ value: Value) {
        object.modifyMap { root in
            root.modifyValue(forKey: "metadata", adding: .null) { metadata in
                metadata.makeMap()
                metadata.modifyMap { metadata in
                    metadata.modifyValue(forKey: field, adding: .null) { inner in
                        inner.makeMap()
                        inner.modifyMap { $0[key] = value }
                    }
                }
            }
        }
    }
}
