import SluiceYAML

/// One field that differs between two versions of an object.
public struct FieldChange: Sendable, Hashable, CustomStringConvertible {
    /// A dotted path, e.g. `spec.job.parallelism`, `spec.flinkConfiguration[state.backend.type]`,
    /// `spec.podTemplate.spec.containers[name=main].image`.
    public var path: String
    /// The path as its keys, for programmatic matching.
    public var keys: [String]
    public var old: Value?
    public var new: Value?
    /// The field manager that added the field on the cluster, when another tool did.
    public var manager: String?

    public init(path: String, keys: [String], old: Value?, new: Value?, manager: String? = nil) {
        self.path = path
        self.keys = keys
        self.old = old
        self.new = new
        self.manager = manager
    }

    public var description: String {
        let by = manager.map { " (added by \($0))" } ?? ""
        switch (old, new) {
        case (nil, let new?): return "+ \(path): \(Self.short(new))\(by)"
        case (let old?, nil): return "- \(path): \(Self.short(old))\(by)"
        case (let old?, let new?): return "~ \(path): \(Self.short(old)) → \(Self.short(new))\(by)"
        default: return path + by
        }
    }

    static func short(_ value: Value) -> String {
        let text = JSON.encode(value)
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}

/// Field-level differences between two values, as people read them in a plan or a PR comment.
public enum FieldDiff {
    /// The changed leaves from `old` to `new`. Maps are compared key by key; lists of maps that
    /// all have a `name` are matched by name (containers, env, ports), other lists by position
    /// when their lengths agree and as a whole otherwise.
    public static func changes(from old: Value?, to new: Value?) -> [FieldChange] {
        var out: [FieldChange] = []
        walk(old, new, keys: [], into: &out)
        return out
    }

    private static func walk(_ old: Value?, _ new: Value?, keys: [String], into out: inout [FieldChange]) {
        switch (old?.kind, new?.kind) {
        case (nil, nil):
            return
        case let (.map(a)?, .map(b)?):
            for entry in a {
                walk(entry.value, b[entry.key], keys: keys + [entry.key], into: &out)
            }
            for entry in b where a[entry.key] == nil {
                walk(nil, entry.value, keys: keys + [entry.key], into: &out)
            }
        case let (.list(a)?, .list(b)?):
            if let named = byName(a), let namedNew = byName(b) {
                let oldLookup = Dictionary(named, uniquingKeysWith: { first, _ in first })
                let newLookup = Dictionary(namedNew, uniquingKeysWith: { first, _ in first })
                for (name, value) in named { walk(value, newLookup[name], keys: keys + ["name=\(name)"], into: &out) }
                for (name, value) in namedNew where oldLookup[name] == nil { walk(nil, value, keys: keys + ["name=\(name)"], into: &out) }
            } else if a.count == b.count {
                for i in a.indices { walk(a[i], b[i], keys: keys + ["\(i)"], into: &out) }
            } else if old != new {
                out.append(change(keys, old, new))
            }
        default:
            if old != new { out.append(change(keys, old, new)) }
        }
    }

    private static func byName(_ list: [Value]) -> [(String, Value)]? {
        var out: [(String, Value)] = []
        var seen = Set<String>()
        for item in list {
            guard let name = item["name"]?.stringValue, seen.insert(name).inserted else { return nil }
            out.append((name, item))
        }
        return out.isEmpty ? nil : out
    }

    private static func change(_ keys: [String], _ old: Value?, _ new: Value?) -> FieldChange {
        FieldChange(path: path(keys), keys: keys, old: old.map(\.withoutLocations), new: new.map(\.withoutLocations))
    }

    /// Joins keys with dots; keys that are not identifiers, and list positions, go in brackets.
    static func path(_ keys: [String]) -> String {
        var text = ""
        for key in keys {
            let plain = !key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
                && !(key.first?.isNumber ?? false)
            if plain {
                text += text.isEmpty ? key : ".\(key)"
            } else {
                text += "[\(key)]"
            }
        }
        return text.isEmpty ? "<root>" : text
    }
}
