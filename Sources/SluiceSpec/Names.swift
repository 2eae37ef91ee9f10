/// Kubernetes' rules for object names and labels, as `k8s.io/apimachinery/pkg/util/validation` applies them.
///
/// Each `…Problem` function returns `nil` for a valid input, or one sentence (no trailing period)
/// saying what is wrong, ready to follow `"metadata.name: "` in a diagnostic. The `is…` functions
/// answer the same question as a `Bool`.
public enum Names {
    /// The longest DNS-1123 label (and the longest name part of a label key, and the longest label value).
    public static let dns1123LabelMaxLength = 63
    /// The longest DNS-1123 subdomain (and the longest label-key prefix).
    public static let dns1123SubdomainMaxLength = 253
    /// The longest label value.
    public static let labelValueMaxLength = 63

    /// Whether `name` is an RFC 1123 label: at most 63 characters of `a-z`, `0-9` and `-`,
    /// starting and ending with a letter or digit (e.g. `my-name`, `123-abc`).
    public static func isDNS1123Label(_ name: String) -> Bool { dns1123LabelProblem(name) == nil }

    /// Whether `name` is an RFC 1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels.
    public static func isDNS1123Subdomain(_ name: String) -> Bool { dns1123SubdomainProblem(name) == nil }

    /// Whether `key` is a valid label (or annotation) key: `[prefix/]name`, prefix a DNS-1123 subdomain.
    public static func isValidLabelKey(_ key: String) -> Bool { labelKeyProblem(key) == nil }

    /// Whether `value` is a valid label value: empty, or at most 63 characters of `A-Za-z0-9-_.`
    /// starting and ending with a letter or digit.
    public static func isValidLabelValue(_ value: String) -> Bool { labelValueProblem(value) == nil }

    /// Why `name` is not an RFC 1123 label, or `nil` when it is one.
    public static func dns1123LabelProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "must not be empty" }
        if bytes.count > dns1123LabelMaxLength {
            return "must be no more than \(dns1123LabelMaxLength) characters, found \(name.count)"
        }
        if !isLabelShaped(bytes[...]) {
            return "\"\(name)\" is not a valid DNS-1123 label: use only lower case letters, digits and '-', "
                + "starting and ending with a letter or digit (e.g. 'my-name' or '123-abc')"
        }
        return nil
    }

    /// Why `name` is not an RFC 1123 subdomain, or `nil` when it is one.
    public static func dns1123SubdomainProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "must not be empty" }
        if bytes.count > dns1123SubdomainMaxLength {
            return "must be no more than \(dns1123SubdomainMaxLength) characters, found \(name.count)"
        }
        // Each dot-separated part must be label-shaped; the 63-character limit is not applied per part,
        // exactly as Kubernetes' regular expression does not apply it.
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if !parts.allSatisfy(isLabelShaped) {
            return "\"\(name)\" is not a valid DNS-1123 subdomain: use only lower case letters, digits, '-' and '.', "
                + "each dot-separated part starting and ending with a letter or digit (e.g. 'example.com')"
        }
        return nil
    }

    /// Why `key` is not a valid label key (a Kubernetes "qualified name"), or `nil` when it is one.
    public static func labelKeyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = String(parts[0])
            if prefix.isEmpty { return "the prefix before '/' must not be empty" }
            if let problem = dns1123SubdomainProblem(prefix) { return "prefix: \(problem)" }
            name = parts[1]
        default:
            return "must be a name with an optional DNS subdomain prefix and one '/' (e.g. 'example.com/my-name')"
        }
        if name.isEmpty { return "the name part must not be empty" }
        let bytes = Array(name.utf8)
        if bytes.count > dns1123LabelMaxLength {
            return "the name part must be no more than \(dns1123LabelMaxLength) characters, found \(name.count)"
        }
        if !isQualifiedNameShaped(bytes) {
            return "the name part \"\(name)\" must consist of letters, digits, '-', '_' or '.', "
                + "starting and ending with a letter or digit (e.g. 'MyName', 'my.name' or '123-abc')"
        }
        return nil
    }

    /// Why `value` is not a valid label value, or `nil` when it is one (the empty string is valid).
    public static func labelValueProblem(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        if bytes.isEmpty { return nil }
        if bytes.count > labelValueMaxLength {
            return "must be no more than \(labelValueMaxLength) characters, found \(value.count)"
        }
        if !isQualifiedNameShaped(bytes) {
            return "\"\(value)\" must be empty or consist of letters, digits, '-', '_' or '.', "
                + "starting and ending with a letter or digit (e.g. 'MyValue', 'my_value' or '12345')"
        }
        return nil
    }

    // MARK: - Character classes (ASCII only, as in Kubernetes' regular expressions)

    private static func isLowerAlphanumeric(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        isLowerAlphanumeric(b) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
    private static func isLabelShaped(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last,
              isLowerAlphanumeric(first), isLowerAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    private static func isQualifiedNameShaped(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, let last = bytes.last,
              isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }
}
