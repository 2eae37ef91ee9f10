import SluiceSpec

/// An object named in an API request: its full identity (`FlinkDeployment.flink.apache.org ns/name`),
/// `namespace/name`, or its name when only one object on the cluster has it.
enum ObjectQuery {
    enum Match<T> {
        case found(T)
        case none
        /// Several objects have that name; their identities.
        case ambiguous([String])
    }

    /// Longer queries are refused: no identity is this long.
    static let maxLength = 512

    static func find<T>(_ query: String, in items: [T], identity: (T) -> ObjectIdentity) -> Match<T> {
        guard !query.isEmpty, query.count <= maxLength else { return .none }
        if let exact = items.first(where: { identity($0).description == query }) { return .found(exact) }
        let matching = items.filter {
            let id = identity($0)
            return id.name == query || "\(id.namespace ?? "")/\(id.name)" == query
        }
        switch matching.count {
        case 0: return .none
        case 1: return .found(matching[0])
        default: return .ambiguous(matching.map { identity($0).description }.sorted())
        }
    }

    /// Whether a journal record's object (an identity's description) is the one `query` names.
    static func matches(_ object: String, _ query: String) -> Bool {
        if object == query { return true }
        // `<Kind.group> <namespace/name>` or `<Kind.group> <name>`.
        guard let space = object.lastIndex(of: " ") else { return false }
        let tail = object[object.index(after: space)...]
        return tail == query || tail.split(separator: "/").last.map { $0 == query } ?? false
    }
}
