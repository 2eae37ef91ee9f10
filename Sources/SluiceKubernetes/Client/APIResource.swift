/// One resource type as the API server's discovery describes it: the REST mapping from a kind
/// (group/version/kind) to the plural resource name in URLs.
public struct APIResource: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group (`v1`).
    public var group: String
    /// The version within the group, e.g. `v1beta1`.
    public var version: String
    /// The kind of the objects, e.g. `FlinkDeployment`.
    public var kind: String
    /// The plural resource name used in URLs and RBAC rules, e.g. `flinkdeployments`.
    public var name: String
    /// Whether objects live in a namespace.
    public var namespaced: Bool
    /// The verbs the server supports on the resource (`get`, `list`, `patch`, ...).
    public var verbs: [String]
    /// The subresources discovery lists for it (`status`, `scale`).
    public var subresources: Set<String> = []

    /// A resource description.
    public init(group: String, version: String, kind: String, name: String, namespaced: Bool, verbs: [String]) {
        self.group = group
        self.version = version
        self.kind = kind
        self.name = name
        self.namespaced = namespaced
        self.verbs = verbs
    }

    /// `group/version`, or just `version` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `flinkdeployments.flink.apache.org` or `configmaps`: how RBAC rules and kubectl name the resource.
    public var qualifiedName: String { group.isEmpty ? name : "\(name).\(group)" }

    /// `Kind (plural.group, apiVersion)`, for messages.
    public var description: String { "\(kind) (\(qualifiedName), \(apiVersion))" }

    /// The URL path of the resource's collection: `/api/v1/namespaces/<ns>/configmaps` or `/apis/<g>/<v>/<plural>`.
    func collectionPath(namespace: String?) -> String {
        var path = Self.groupVersionPath(apiVersion)
        if namespaced, let namespace { path += "/namespaces/\(PathSegment.encode(namespace))" }
        return path + "/\(name)"
    }

    /// The URL path of one object.
    func objectPath(namespace: String?, name objectName: String) -> String {
        collectionPath(namespace: namespace) + "/\(PathSegment.encode(objectName))"
    }

    /// `/api/v1` for the core group, `/apis/<group>/<version>` otherwise.
    static func groupVersionPath(_ apiVersion: String) -> String {
        let (group, version) = split(apiVersion)
        return group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
    }

    /// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
    static func split(_ apiVersion: String) -> (group: String, version: String) {
        guard let slash = apiVersion.lastIndex(of: "/") else { return ("", apiVersion) }
        return (String(apiVersion[..<slash]), String(apiVersion[apiVersion.index(after: slash)...]))
    }
}

/// Percent-encoding for URL path segments and query values: everything but RFC 3986 unreserved characters.
enum PathSegment {
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// `a=1&b=x%20y` from ordered pairs.
    static func query(_ items: [(String, String)]) -> String {
        items.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
