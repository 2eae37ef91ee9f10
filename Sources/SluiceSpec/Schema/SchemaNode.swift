#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceRegex
import SluiceYAML

/// One compiled node of an OpenAPI v3 schema: every keyword read and checked once, properties in a
/// dictionary, so that validating many objects against one schema costs only the walk over the data.
///
/// Immutable after compilation, hence `Sendable`: one compiled CRD serves every thread.
final class SchemaNode: Sendable {
    /// The `type` keyword.
    enum ValueType: String, Sendable, CaseIterable {
        case string, integer, number, boolean, array, object
    }

    /// What an object may hold besides its declared `properties`.
    enum Additional: Sendable {
        /// No `additionalProperties`: undeclared members are unknown fields (unless unknown fields are preserved).
        case unspecified
        /// `additionalProperties: true`: anything goes.
        case allowed
        /// `additionalProperties: false`.
        case forbidden
        /// `additionalProperties: {schema}`: a map whose values follow the schema.
        case schema(SchemaNode)
    }

    /// `x-kubernetes-list-type`.
    enum ListType: Sendable, Equatable {
        case atomic
        /// Scalars without duplicates.
        case set
        /// Maps identified by the values of these keys (`x-kubernetes-list-map-keys`).
        case map(keys: [String])
    }

    let type: ValueType?
    let intOrString: Bool
    let nullable: Bool
    let preserveUnknownFields: Bool
    let embeddedResource: Bool
    /// False inside `allOf`/`anyOf`/`oneOf`/`not`: those only constrain values, the structure (and so
    /// which fields are known) comes from the enclosing schema, as in Kubernetes' structural schemas.
    let structural: Bool

    let properties: [String: SchemaNode]
    /// The property names, sorted, for did-you-mean suggestions.
    let propertyNames: [String]
    let required: [String]
    let additional: Additional
    let minProperties: Int?
    let maxProperties: Int?

    let items: SchemaNode?
    let minItems: Int?
    let maxItems: Int?
    let uniqueItems: Bool
    let listType: ListType

    let enumValues: [Value]?
    let enumSet: Set<Value>
    let format: String?
    let minimum: Double?
    let maximum: Double?
    let exclusiveMinimum: Bool
    let exclusiveMaximum: Bool
    let multipleOf: Double?
    let minLength: Int?
    let maxLength: Int?
    /// `pattern`, in RE2 syntax as the API server reads it (Go's regexp), matched by RE2 in linear time.
    let pattern: RE2?

    let allOf: [SchemaNode]
    let anyOf: [SchemaNode]
    let oneOf: [SchemaNode]
    let not: SchemaNode?

    /// Whether members not declared in `properties` are reported as unknown fields.
    var rejectsUnknownFields: Bool {
        guard structural, !preserveUnknownFields else { return false }
        switch additional {
        case .unspecified, .forbidden: return true
        case .allowed, .schema: return false
        }
    }

    /// The expected type in messages, in the words `Value.typeName` uses for data ("map", "list").
    var typeDescription: String {
        if intOrString { return "integer or string" }
        switch type {
        case .object: return "map"
        case .array: return "list"
        case let t?: return t.rawValue
        case nil: return "any value"
        }
    }

    /// Compiles the schema `value`; `path` names it in errors (e.g. `properties.spec.properties.job`).
    /// `implicit` adds properties the schema does not declare itself (Kubernetes' implicit
    /// `apiVersion`, `kind` and `metadata` of a resource); the schema's own declarations win.
    convenience init(_ value: Value, path: String, structural: Bool, implicit: [String: Value] = [:]) throws {
        try self.init(value, at: SchemaPath(root: path), structural: structural, implicit: implicit)
    }

    private init(_ value: Value, at path: SchemaPath, structural: Bool, implicit: [String: Value] = [:]) throws {
        guard let map = value.mapValue else {
            throw SchemaError(at: value.location, "\(path.text): a schema must be a map, found \(value.typeName)")
        }
        func fail(_ key: String, _ reason: String) -> SchemaError {
            SchemaError(at: map[key]?.location ?? value.location, "\(path.text).\(key): \(reason)")
        }
        func bool(_ key: String) throws -> Bool {
            guard let node = map[key], !node.isNull else { return false }
            guard let b = node.boolValue else { throw fail(key, "expected true or false, found \(node.typeName)") }
            return b
        }
        func count(_ key: String) throws -> Int? {
            guard let node = map[key], !node.isNull else { return nil }
            guard let i = node.intValue, i >= 0 else { throw fail(key, "expected a non-negative integer") }
            return i
        }
        func number(_ key: String) throws -> Double? {
            guard let node = map[key], !node.isNull else { return nil }
            guard let d = node.doubleValue else { throw fail(key, "expected a number, found \(node.typeName)") }
            return d
        }
        func schemas(_ key: String) throws -> [SchemaNode] {
            guard let node = map[key], !node.isNull else { return [] }
            guard let list = node.listValue else { throw fail(key, "expected a list of schemas, found \(node.typeName)") }
            return try list.enumerated().map {
                try SchemaNode($1, at: SchemaPath(path, key, index: $0), structural: false)
            }
        }

        if let node = map["type"], !node.isNull {
            guard let name = node.stringValue, let t = ValueType(rawValue: name) else {
                throw fail("type", "unsupported type \(node.stringValue.map { "\"\($0)\"" } ?? node.typeName); expected one of: "
                    + ValueType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            type = t
        } else {
            type = nil
        }
        intOrString = try bool("x-kubernetes-int-or-string")
        nullable = try bool("nullable")
        preserveUnknownFields = try bool("x-kubernetes-preserve-unknown-fields")
        embeddedResource = try bool("x-kubernetes-embedded-resource")
        self.structural = structural

        var declared = implicit
        if embeddedResource { declared.merge(SchemaNode.resourceFields) { mine, _ in mine } }
        var declaredHere = Mapping()
        if let node = map["properties"], !node.isNull {
            guard let props = node.mapValue else { throw fail("properties", "expected a map of schemas, found \(node.typeName)") }
            if declared.isEmpty {
                // The common case: only the schema's own properties, compiled straight from its map
                // (its keys are distinct), not gathered in a dictionary first.
                declaredHere = props
            } else {
                for entry in props {
                    if let builtIn = declared[entry.key], entry.value.mapValue != nil {
                        // A CRD may narrow metadata (e.g. a name pattern); keep the built-in members it does not mention.
                        declared[entry.key] = MergePatch.apply(entry.value, to: builtIn)
                    } else {
                        declared[entry.key] = entry.value
                    }
                }
            }
        }
        var properties = [String: SchemaNode](minimumCapacity: declared.count + declaredHere.count)
        for (key, schema) in declared {
            properties[key] = try SchemaNode(schema, at: SchemaPath(path, "properties", key), structural: structural)
        }
        for entry in declaredHere {
            properties[entry.key] = try SchemaNode(entry.value, at: SchemaPath(path, "properties", entry.key), structural: structural)
        }
        self.properties = properties
        propertyNames = properties.keys.sorted()

        var required: [String] = []
        if let node = map["required"], !node.isNull {
            guard let list = node.listValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw fail("required", "expected a list of property names")
            }
            required = list.compactMap(\.stringValue)
        }
        if embeddedResource { required += ["apiVersion", "kind"].filter { !required.contains($0) } }
        self.required = required

        switch map["additionalProperties"]?.kind {
        case nil, .null?: additional = .unspecified
        case .bool(let b)?: additional = b ? .allowed : .forbidden
        case .map?:
            additional = .schema(try SchemaNode(map["additionalProperties"]!, at: SchemaPath(path, "additionalProperties"), structural: structural))
        case _?: throw fail("additionalProperties", "expected true, false or a schema")
        }
        minProperties = try count("minProperties")
        maxProperties = try count("maxProperties")

        if let node = map["items"], !node.isNull {
            guard node.mapValue != nil else { throw fail("items", "expected one schema (a map), found \(node.typeName)") }
            items = try SchemaNode(node, at: SchemaPath(path, "items"), structural: structural)
        } else {
            items = nil
        }
        minItems = try count("minItems")
        maxItems = try count("maxItems")
        uniqueItems = try bool("uniqueItems")
        switch map["x-kubernetes-list-type"]?.stringValue {
        case nil, "atomic"?: listType = .atomic
        case "set"?: listType = .set
        case "map"?:
            guard let keys = map["x-kubernetes-list-map-keys"]?.listValue?.compactMap(\.stringValue), !keys.isEmpty else {
                throw fail("x-kubernetes-list-map-keys", "a list of type map needs a non-empty list of key names")
            }
            listType = .map(keys: keys)
        case let other?:
            throw fail("x-kubernetes-list-type", "unsupported value \"\(other)\"; expected one of: atomic, set, map")
        }

        if let node = map["enum"], !node.isNull {
            guard let list = node.listValue else { throw fail("enum", "expected a list of values, found \(node.typeName)") }
            enumValues = list
            enumSet = Set(list)
        } else {
            enumValues = nil
            enumSet = []
        }
        format = map["format"]?.stringValue
        minimum = try number("minimum")
        maximum = try number("maximum")
        exclusiveMinimum = try bool("exclusiveMinimum")
        exclusiveMaximum = try bool("exclusiveMaximum")
        multipleOf = try number("multipleOf")
        if let m = multipleOf, m <= 0 { throw fail("multipleOf", "must be greater than 0") }
        minLength = try count("minLength")
        maxLength = try count("maxLength")
        if let node = map["pattern"], !node.isNull {
            guard let source = node.stringValue else { throw fail("pattern", "expected a regular expression string") }
            do {
                pattern = try RE2(source)
            } catch let error as RE2.SyntaxError {
                throw fail("pattern", "invalid regular expression \"\(source)\": \(error.message)")
            }
        } else {
            pattern = nil
        }

        allOf = try schemas("allOf")
        anyOf = try schemas("anyOf")
        oneOf = try schemas("oneOf")
        if let node = map["not"], !node.isNull {
            not = try SchemaNode(node, at: SchemaPath(path, "not"), structural: false)
        } else {
            not = nil
        }
    }
}

/// Where a schema node sits, such as `openAPIV3Schema.properties.spec.properties.job`. Errors
/// alone name it, so its text is put together only for one: made for every node, it was a
/// string built and freed per node of a CRD of thousands.
private final class SchemaPath {
    private let parent: SchemaPath?
    private let keyword: String
    private let name: String?
    private let index: Int?

    init(root: String) {
        parent = nil
        keyword = root
        name = nil
        index = nil
    }

    /// `parent.keyword`, `parent.keyword.name` or `parent.keyword[index]`.
    init(_ parent: SchemaPath, _ keyword: String, _ name: String? = nil, index: Int? = nil) {
        self.parent = parent
        self.keyword = keyword
        self.name = name
        self.index = index
    }

    var text: String {
        var text = parent.map { $0.text + "." } ?? ""
        text += keyword
        if let name { text += "." + name }
        if let index { text += "[\(index)]" }
        return text
    }
}

/// A schema that cannot be compiled: a programming or packaging error for bundled CRDs, a user
/// error for CRDs read from a spec repository.
public struct SchemaError: SluiceError, Hashable {
    /// Where the offending keyword is in the CRD.
    public var location: SourceLocation?
    /// The schema path of the keyword and what is wrong with it.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// An error at `location`; the hint defaults to fixing the CRD's schema.
    public init(at location: SourceLocation?, _ message: String, hint: String? = nil) {
        self.location = location
        self.message = message
        self.hint = hint ?? "fix the CRD's openAPIV3Schema"
    }
}
