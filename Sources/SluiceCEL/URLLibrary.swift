/// The Kubernetes CEL URL library: `url(string)`, `isURL(string)` and the methods of
/// `kubernetes.URL` (`getScheme getHost getHostname getPort getEscapedPath getQuery`).
enum URLLibrary {
    static let typeName = "kubernetes.URL"

    /// The global functions of the library, or `nil` for a name it does not define.
    static func call(_ name: String, _ args: [CELValue]) throws -> CELValue? {
        guard name == "url" || name == "isURL" else { return nil }
        guard args.count == 1, case .string(let text) = args[0] else { throw Functions.noOverload(name, nil, args) }
        if name == "isURL" { return .bool((try? KubernetesURL.parse(text)) != nil) }
        do {
            return .object(CELURL(try KubernetesURL.parse(text)))
        } catch {
            throw CELError(error.description)
        }
    }
}

/// A `kubernetes.URL` value.
struct CELURL: CELObject {
    let url: KubernetesURL

    init(_ url: KubernetesURL) { self.url = url }

    var typeName: String { URLLibrary.typeName }
    var description: String { url.description }

    /// Equal when written the same, as Kubernetes compares URLs.
    func celEquals(_ other: any CELObject) -> Bool {
        (other as? CELURL)?.url.text == url.text
    }

    func call(_ name: String, _ args: [CELValue]) throws -> CELValue {
        guard args.isEmpty else { throw Functions.noOverload(name, .object(self), args) }
        switch name {
        case "getScheme": return .string(url.scheme)
        case "getHost": return .string(url.host)
        case "getHostname": return .string(url.hostname)
        case "getPort": return .string(url.port)
        case "getEscapedPath": return .string(url.escapedPath)
        case "getQuery":
            var map = CELMap()
            for (key, values) in url.query { map.set(.string(key), .list(values.map(CELValue.string))) }
            return .map(map)
        default: throw Functions.noOverload(name, .object(self), args)
        }
    }
}
