import SluiceCore
import SluiceYAML

/// A compiled Kubernetes CRD schema (`openAPIV3Schema`, the structural OpenAPI v3 dialect), ready to
/// validate any number of objects.
///
/// Compile once, validate many: the schema is checked and turned into a tree with dictionary lookups
/// when it is built, and `validate` only walks the data.
///
/// What is checked, as the API server does:
/// - `type` (integer accepts only integers; number accepts integers and decimals;
///   `x-kubernetes-int-or-string` accepts integers and strings), `nullable`, `enum`, `format: int32`
///   ranges (other formats are informational), `minimum`/`maximum` with `exclusiveMinimum`/
///   `exclusiveMaximum`, `multipleOf`, `minLength`/`maxLength` (in code points), `pattern`,
///   `minItems`/`maxItems`, `uniqueItems`, `minProperties`/`maxProperties`, `required`;
/// - unknown fields: members not declared in `properties` are errors (with a did-you-mean suggestion)
///   unless the node has `additionalProperties` or `x-kubernetes-preserve-unknown-fields`;
/// - `x-kubernetes-list-type: set` (no duplicate items) and `map` (no two items with the same
///   `x-kubernetes-list-map-keys` values);
/// - `x-kubernetes-embedded-resource` (implicit `apiVersion`, `kind`, `metadata`; `apiVersion` and
///   `kind` required); the root of a resource schema gets the implicit fields too;
/// - `allOf`, `anyOf`, `oneOf`, `not` as value constraints (they never declare fields, as in
///   structural schemas).
///
/// Nulls: a `null` member whose schema is not `nullable` is treated as absent, because the API
/// server prunes such nulls before validating; it is an error only where the field is `required`,
/// and `null` list items or top-level values of non-nullable schemas are type errors.
/// `x-kubernetes-validations` (CEL rules), `default` and `x-kubernetes-map-type` are not evaluated.
public struct OpenAPISchema: Sendable {
    let root: SchemaNode

    /// Compiles a schema given as data (e.g. a CRD's `spec.versions[].schema.openAPIV3Schema`).
    ///
    /// With `resourceRoot` (the default, for CRD schemas) the top-level object also accepts the
    /// implicit `apiVersion`, `kind` and `metadata` of every Kubernetes resource.
    /// Throws `SchemaError` at the offending keyword when the schema itself is malformed.
    public init(_ schema: Value, resourceRoot: Bool = true) throws {
        root = try SchemaNode(
            schema, path: "openAPIV3Schema", structural: true,
            implicit: resourceRoot ? SchemaNode.resourceFields : [:])
    }

    /// The names of the top-level properties the schema declares (including implicit ones), sorted.
    public var topLevelFields: [String] { root.propertyNames }

    /// Every problem of `value` against the schema, in document order.
    ///
    /// Each diagnostic is an error at the offending node's location (for an unknown field: its key;
    /// for a missing required field: the map that lacks it) and its message starts with the JSON path
    /// under `path`, e.g. `spec.job.upgradeMode: unsupported value "foo"; expected one of: ...`.
    /// An empty result means the value is valid.
    public func validate(_ value: Value, at path: String = "") -> [Diagnostic] {
        var validation = SchemaValidation(basePath: path)
        validation.check(value, against: root, fallback: value.nodeLocation)
        return validation.diagnostics
    }
}
