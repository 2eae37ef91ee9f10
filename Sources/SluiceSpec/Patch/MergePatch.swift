import SluiceCore
import SluiceYAML

/// JSON Merge Patch (RFC 7386): the patch has the shape of the document, `null` deletes a member,
/// maps merge recursively and anything else (scalars, lists) replaces the target.
///
/// Locations follow the data: nodes the patch does not touch keep the target's locations, nodes the
/// patch supplies keep the patch's locations, so a validation error after patching points at the
/// line that introduced the value.
public enum MergePatch {
    /// The result of applying `patch` to `target` (RFC 7386 section 2).
    ///
    /// Merge patches cannot fail: any JSON value is a valid patch for any document.
    public static func apply(_ patch: Value, to target: Value) -> Value {
        guard case .map(let patchMap) = patch.kind else { return patch }
        var result: Mapping
        let location: NodeLocation
        if case .map(let targetMap) = target.kind {
            result = targetMap
            location = target.nodeLocation.isNone ? patch.nodeLocation : target.nodeLocation
        } else {
            // A map patch over a non-map target starts from an empty map, as the RFC says.
            result = Mapping()
            location = patch.nodeLocation
        }
        for entry in patchMap {
            if entry.value.isNull {
                result.removeValue(forKey: entry.key)
            } else if let existing = result[entry.key] {
                // Keep the key's original location; the value's location follows the merge.
                result[entry.key] = apply(entry.value, to: existing)
            } else {
                result.append(Mapping.Entry(
                    key: entry.key, value: apply(entry.value, to: .null), keyLocation: entry.keyNodeLocation))
            }
        }
        return Value(.map(result), at: location)
    }
}
