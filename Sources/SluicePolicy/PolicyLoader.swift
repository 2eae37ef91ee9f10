import SluiceCore
import SluiceSpec
import SluiceYAML

/// The policies of a repository: ValidatingAdmissionPolicies, their bindings, and the objects
/// bindings may take parameters from.
public struct PolicySet: Sendable {
    public var policies: [AdmissionPolicy]
    public var bindings: [AdmissionPolicyBinding]
    /// Every other document found beside the policies and in the spec root, for `paramRef`.
    public var parameterObjects: [SpecObject]
    public var warnings: [Diagnostic]

    public static let empty = PolicySet(policies: [], bindings: [], parameterObjects: [], warnings: [])

    public func policy(named name: String) -> AdmissionPolicy? { policies.first { $0.name == name } }
}

/// Reads policy documents into a `PolicySet`, reporting every problem with its file:line:column.
public enum PolicyLoader {
    static let admissionAPIVersion = "admissionregistration.k8s.io/v1"

    /// Loads the policy documents of `tree` under `path` (every YAML file there; `nil` reads none),
    /// plus the policy documents the spec set itself holds.
    public static func load(from tree: any SourceTree, path: String?, specs: SpecSet?) throws -> PolicySet {
        var diagnostics: [Diagnostic] = []
        var documents: [SpecObject] = specs?.policies ?? []
        var others: [SpecObject] = specs?.workloads ?? []
        // The default layout keeps policies/ inside the spec root: those files were read with the
        // specs, and reading them again would evaluate every policy (and find every param) twice.
        let alreadyRead = specs?.files ?? []
        let files = try path.map { try tree.files(under: $0) }?.filter { file in
            SpecLoader.extensions.contains { file.hasSuffix($0) } && !alreadyRead.contains(file)
        } ?? []
        for file in files {
            do {
                for document in try YAML.parseDocuments(try tree.read(file, maxBytes: YAMLLimits.default.maxBytes), file: file) {
                    guard let object = SpecLoader.object(from: document, file: file, &diagnostics) else { continue }
                    if object.group == KnownKinds.admissionGroup { documents.append(object) } else { others.append(object) }
                }
            } catch let error as any SluiceError {
                diagnostics.append(Diagnostic(.error, at: error.location ?? SourceLocation(file: file, line: 1, column: 1), error.message, hint: error.hint))
            }
        }
        var set = decode(documents, &diagnostics)
        set.parameterObjects = others
        if diagnostics.contains(where: { $0.severity == .error }) { throw DiagnosticError(diagnostics) }
        set.warnings = diagnostics.sorted()
        return set
    }

    static func decode(_ documents: [SpecObject], _ diagnostics: inout [Diagnostic]) -> PolicySet {
        var policies: [AdmissionPolicy] = []
        var bindings: [AdmissionPolicyBinding] = []
        for object in documents {
            var reader = FieldReader(fallback: object.location)
            if object.apiVersion != admissionAPIVersion {
                reader.error(object.value["apiVersion"], "unsupported apiVersion \"\(object.apiVersion)\" for \(object.kind)",
                             hint: "use apiVersion: \(admissionAPIVersion)")
            }
            switch object.kind {
            case "ValidatingAdmissionPolicy":
                if let p = policy(object, &reader) { policies.append(p) }
            case "ValidatingAdmissionPolicyBinding":
                if let b = binding(object, &reader) { bindings.append(b) }
            default:
                reader.error(object.value["kind"], "\(object.kind) is not a policy kind Sluice evaluates",
                             hint: "Sluice evaluates ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding")
            }
            diagnostics += reader.diagnostics
        }
        for b in bindings where !policies.contains(where: { $0.name == b.policyName }) {
            diagnostics.append(Diagnostic(.error, at: b.location, "binding \(b.name) names policy \(b.policyName), which does not exist",
                                          hint: policies.isEmpty ? "no ValidatingAdmissionPolicy is defined beside it" : "known policies: \(policies.map(\.name).sorted().joined(separator: ", "))"))
        }
        for p in policies where !bindings.contains(where: { $0.policyName == p.name }) {
            diagnostics.append(Diagnostic(.warning, at: p.location, "policy \(p.name) has no binding, so it is never evaluated",
                                          hint: "add a ValidatingAdmissionPolicyBinding with spec.policyName: \(p.name)"))
        }
        return PolicySet(policies: policies.sorted { $0.name < $1.name }, bindings: bindings.sorted { $0.name < $1.name },
                         parameterObjects: [], warnings: [])
    }

    static func policy(_ object: SpecObject, _ reader: inout FieldReader) -> AdmissionPolicy? {
        let root = object.value
        guard let specValue = root["spec"], let spec = reader.map(specValue, "spec", required: true, parent: root) else {
            if root["spec"] == nil { reader.error(root, "spec: required field is missing") }
            return nil
        }
        reader.rejectUnknownKeys(spec, "spec", known: ["failurePolicy", "paramKind", "matchConstraints", "matchConditions",
                                                       "variables", "validations", "auditAnnotations"])
        let failure = reader.oneOf(specValue["failurePolicy"], "spec.failurePolicy", AdmissionPolicy.FailurePolicy.self) ?? .Fail
        var paramKind: (String, String)?
        if let pk = specValue["paramKind"], reader.map(pk, "spec.paramKind") != nil {
            if let v = reader.string(pk["apiVersion"], "spec.paramKind.apiVersion", required: true, parent: pk),
               let k = reader.string(pk["kind"], "spec.paramKind.kind", required: true, parent: pk) { paramKind = (v, k) }
        }
        guard let constraints = specValue["matchConstraints"] else {
            reader.error(specValue, "spec.matchConstraints: required field is missing",
                         hint: "say which resources the policy applies to, e.g. resourceRules: [{apiGroups: [flink.apache.org], apiVersions: [\"*\"], operations: [CREATE, UPDATE], resources: [flinkdeployments]}]")
            return nil
        }
        let match = matchResources(constraints, "spec.matchConstraints", &reader)
        let conditions = namedExpressions(specValue["matchConditions"], "spec.matchConditions", &reader)
        let variables = namedExpressions(specValue["variables"], "spec.variables", &reader)
        var validations: [AdmissionPolicy.Validation] = []
        for (i, item) in list(specValue["validations"], "spec.validations", &reader).enumerated() {
            let path = "spec.validations[\(i)]"
            guard let map = reader.map(item, path) else { continue }
            reader.rejectUnknownKeys(map, path, known: ["expression", "message", "messageExpression", "reason"])
            guard let expression = expression(item["expression"], "\(path).expression", parent: item, &reader) else { continue }
            let reason = reader.string(item["reason"], "\(path).reason")
            if let reason, !["Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge"].contains(reason) {
                reader.error(item["reason"], "\(path).reason: unsupported value \"\(reason)\"; expected one of: Unauthorized, Forbidden, Invalid, RequestEntityTooLarge")
            }
            validations.append(AdmissionPolicy.Validation(
                expression: expression, message: reader.string(item["message"], "\(path).message"),
                messageExpression: item["messageExpression"].flatMap { self.expression($0, "\(path).messageExpression", parent: item, &reader) },
                reason: reason))
        }
        if validations.isEmpty, specValue["validations"] == nil {
            reader.error(specValue, "spec.validations: a policy needs at least one validation")
        }
        guard let match else { return nil }
        return AdmissionPolicy(name: object.name, location: object.location, failurePolicy: failure, paramKind: paramKind,
                               matchConstraints: match, matchConditions: conditions, variables: variables, validations: validations)
    }

    static func binding(_ object: SpecObject, _ reader: inout FieldReader) -> AdmissionPolicyBinding? {
        let root = object.value
        guard let specValue = root["spec"], let spec = reader.map(specValue, "spec", required: true, parent: root) else {
            if root["spec"] == nil { reader.error(root, "spec: required field is missing") }
            return nil
        }
        reader.rejectUnknownKeys(spec, "spec", known: ["policyName", "paramRef", "validationActions", "matchResources"])
        let policyName = reader.string(specValue["policyName"], "spec.policyName", required: true, parent: specValue)
        var actions: [ValidationAction] = []
        for item in list(specValue["validationActions"], "spec.validationActions", &reader) {
            if let action = reader.oneOf(item, "spec.validationActions", ValidationAction.self) { actions.append(action) }
        }
        if actions.isEmpty {
            reader.error(specValue, "spec.validationActions: required; list at least one of Deny, Warn, Audit")
        }
        if actions.contains(.deny), actions.contains(.warn) {
            reader.error(specValue["validationActions"], "spec.validationActions: Deny and Warn may not be used together",
                         hint: "Kubernetes refuses this combination; use Deny (with Audit) or Warn (with Audit)")
        }
        var paramRef: AdmissionPolicyBinding.ParamRef?
        if let pr = specValue["paramRef"], let map = reader.map(pr, "spec.paramRef") {
            reader.rejectUnknownKeys(map, "spec.paramRef", known: ["name", "namespace", "selector", "parameterNotFoundAction"])
            let action = reader.string(pr["parameterNotFoundAction"], "spec.paramRef.parameterNotFoundAction") ?? "Deny"
            if !["Allow", "Deny"].contains(action) {
                reader.error(pr["parameterNotFoundAction"], "spec.paramRef.parameterNotFoundAction: unsupported value \"\(action)\"; expected one of: Allow, Deny")
            }
            var selector: LabelSelector?
            if let s = pr["selector"] {
                do { selector = try LabelSelector(s) } catch { reader.error(s, "spec.paramRef.selector: \(error)") }
            }
            paramRef = .init(name: reader.string(pr["name"], "spec.paramRef.name"), namespace: reader.string(pr["namespace"], "spec.paramRef.namespace"),
                             selector: selector, denyWhenNotFound: action == "Deny")
        }
        let match = specValue["matchResources"].flatMap { matchResources($0, "spec.matchResources", &reader) }
        guard let policyName else { return nil }
        return AdmissionPolicyBinding(name: object.name, location: object.location, policyName: policyName, paramRef: paramRef,
                                      validationActions: actions.sorted(), matchResources: match)
    }

    static func matchResources(_ value: Value, _ path: String, _ reader: inout FieldReader) -> MatchResources? {
        guard let map = reader.map(value, path) else { return nil }
        reader.rejectUnknownKeys(map, path, known: ["resourceRules", "excludeResourceRules", "namespaceSelector", "objectSelector", "matchPolicy"])
        func selector(_ key: String) -> LabelSelector {
            guard let v = value[key] else { return LabelSelector() }
            do { return try LabelSelector(v) } catch {
                reader.error(v, "\(path).\(key): \(error)")
                return LabelSelector()
            }
        }
        let rules = rules(value["resourceRules"], "\(path).resourceRules", &reader)
        if rules.isEmpty, value["resourceRules"] == nil, path.hasSuffix("matchConstraints") {
            reader.error(value, "\(path).resourceRules: required; a policy must say which resources it applies to")
        }
        return MatchResources(resourceRules: rules.isEmpty && !path.hasSuffix("matchConstraints") ? [MatchResources.Rule(apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], operations: ["*"], resourceNames: [])] : rules,
                              excludeResourceRules: self.rules(value["excludeResourceRules"], "\(path).excludeResourceRules", &reader),
                              namespaceSelector: selector("namespaceSelector"), objectSelector: selector("objectSelector"))
    }

    static func rules(_ value: Value?, _ path: String, _ reader: inout FieldReader) -> [MatchResources.Rule] {
        list(value, path, &reader).enumerated().compactMap { i, item in
            let p = "\(path)[\(i)]"
            guard let map = reader.map(item, p) else { return nil }
            reader.rejectUnknownKeys(map, p, known: ["apiGroups", "apiVersions", "resources", "operations", "resourceNames", "scope"])
            func strings(_ key: String, default fallback: [String]) -> [String] {
                guard item[key] != nil else { return fallback }
                return list(item[key], "\(p).\(key)", &reader).compactMap { reader.string($0, "\(p).\(key)") }
            }
            let resources = strings("resources", default: [])
            if resources.isEmpty { reader.error(item, "\(p).resources: required; e.g. [flinkdeployments] or [\"*\"]") }
            return MatchResources.Rule(apiGroups: strings("apiGroups", default: ["*"]), apiVersions: strings("apiVersions", default: ["*"]),
                                       resources: resources, operations: strings("operations", default: ["*"]),
                                       resourceNames: strings("resourceNames", default: []))
        }
    }

    static func namedExpressions(_ value: Value?, _ path: String, _ reader: inout FieldReader) -> [AdmissionPolicy.NamedExpression] {
        list(value, path, &reader).enumerated().compactMap { i, item in
            let p = "\(path)[\(i)]"
            guard let map = reader.map(item, p) else { return nil }
            reader.rejectUnknownKeys(map, p, known: ["name", "expression"])
            guard let name = reader.string(item["name"], "\(p).name", required: true, parent: item),
                  let e = expression(item["expression"], "\(p).expression", parent: item, &reader) else { return nil }
            return AdmissionPolicy.NamedExpression(name: name, expression: e)
        }
    }

    static func expression(_ value: Value?, _ path: String, parent: Value, _ reader: inout FieldReader) -> PolicyExpression? {
        guard let text = reader.string(value, path, required: true, parent: parent) else { return nil }
        return PolicyExpression(source: text, location: value?.location ?? parent.location ?? reader.fallback)
    }

    static func list(_ value: Value?, _ path: String, _ reader: inout FieldReader) -> [Value] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.listValue else {
            reader.error(value, "\(path): expected a list, found \(value.typeName)")
            return []
        }
        return items
    }
}
