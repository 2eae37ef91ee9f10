import Foundation
import SluiceCore
import SluiceSpec
import SluiceYAML

/// Evaluates a `PolicySet` against rendered objects, as the API server evaluates
/// ValidatingAdmissionPolicies against requests: bindings select policies, match constraints and
/// conditions select objects, variables are computed in order, and every failed validation of a
/// binding becomes a `Violation` with the binding's actions.
public struct PolicyEngine: Sendable {
    /// One compiled policy: every expression compiled once.
    struct Compiled: Sendable {
        var policy: AdmissionPolicy
        var conditions: [(name: String, expression: CELExpressionEngine.Compiled)]
        var variables: [(name: String, expression: CELExpressionEngine.Compiled)]
        var validations: [(validation: AdmissionPolicy.Validation, expression: CELExpressionEngine.Compiled, message: CELExpressionEngine.Compiled?)]
    }

    let set: PolicySet
    let compiled: [String: Compiled]
    /// The parameter objects of each binding, by binding name, found once.
    let parameters: [String: [Value]]

    /// Compiles every expression of every policy. Expressions that do not compile are reported
    /// together, each at its file:line:column with the position inside the expression.
    public init(_ set: PolicySet, engine: CELExpressionEngine = CELExpressionEngine()) throws {
        var diagnostics: [Diagnostic] = []
        var compiled: [String: Compiled] = [:]
        func compile(_ e: PolicyExpression, _ what: String, in policy: String) -> CELExpressionEngine.Compiled? {
            do {
                return try engine.compile(e.source)
            } catch let error as ExpressionError {
                // Point into the YAML file: the expression's own line plus the error's line inside it.
                var location = e.location
                if let line = error.line, let column = error.column {
                    location.line += line - 1
                    location.column = line == 1 ? location.column + column - 1 : column
                }
                diagnostics.append(Diagnostic(.error, at: location, "policy \(policy): \(what) does not compile: \(error.message)",
                                              hint: "fix the CEL expression"))
            } catch {
                diagnostics.append(Diagnostic(.error, at: e.location, "policy \(policy): \(what) does not compile: \(error)"))
            }
            return nil
        }
        for policy in set.policies {
            let conditions = policy.matchConditions.compactMap { c in compile(c.expression, "matchCondition \(c.name)", in: policy.name).map { (c.name, $0) } }
            let variables = policy.variables.compactMap { v in compile(v.expression, "variable \(v.name)", in: policy.name).map { (v.name, $0) } }
            let validations = policy.validations.enumerated().compactMap { i, v -> (AdmissionPolicy.Validation, CELExpressionEngine.Compiled, CELExpressionEngine.Compiled?)? in
                guard let e = compile(v.expression, "validations[\(i)].expression", in: policy.name) else { return nil }
                let message = v.messageExpression.flatMap { compile($0, "validations[\(i)].messageExpression", in: policy.name) }
                return (v, e, message)
            }
            compiled[policy.name] = Compiled(policy: policy, conditions: conditions, variables: variables, validations: validations)
        }
        if !diagnostics.isEmpty { throw DiagnosticError(diagnostics) }
        self.set = set
        self.compiled = compiled
        var parameters: [String: [Value]] = [:]
        for binding in set.bindings {
            guard let policy = compiled[binding.policyName]?.policy else { continue }
            parameters[binding.name] = Self.parameters(for: binding, policy: policy, in: set)
        }
        self.parameters = parameters
    }

    /// What an evaluation looks at: the object (or `nil` for a deletion), its previous version,
    /// and where it goes.
    public struct Subject: Sendable {
        public var object: Value?
        public var oldObject: Value?
        public var identity: ObjectIdentity
        public var source: SourceLocation
        public var cluster: ClusterSpec
        public var environment: EnvironmentSpec?
        public var environmentName: String

        public init(object: Value?, oldObject: Value?, identity: ObjectIdentity, source: SourceLocation,
                    cluster: ClusterSpec, environment: EnvironmentSpec?, environmentName: String) {
            self.object = object
            self.oldObject = oldObject
            self.identity = identity
            self.source = source
            self.cluster = cluster
            self.environment = environment
            self.environmentName = environmentName
        }

        var operation: Operation { object == nil ? .DELETE : oldObject == nil ? .CREATE : .UPDATE }
    }

    /// The violations of every binding for every subject, in subject order. Subjects are
    /// independent, so they are evaluated on all cores in contiguous chunks.
    public func evaluate(_ subjects: [Subject]) -> [Violation] {
        let chunkCount = Swift.min(subjects.count, ProcessInfo.processInfo.activeProcessorCount * 4)
        let chunks = (0..<chunkCount).map { subjects.count * $0 / chunkCount ..< subjects.count * ($0 + 1) / chunkCount }
        return chunks.concurrentMap { subjects[$0].flatMap(evaluate) }.flatMap { $0 }
    }

    /// The violations of every binding for one subject.
    public func evaluate(_ subject: Subject) -> [Violation] {
        var out: [Violation] = []
        // One set of inputs for all bindings: the object is converted for the engine once.
        let inputs = ExpressionInputs(Self.inputs(for: subject))
        let namespaceLabels = subject.identity.namespace.map { ["kubernetes.io/metadata.name": $0] } ?? [:]
        let target = MatchResources.Target(subject.object ?? subject.oldObject ?? .null, namespaceLabels: namespaceLabels,
                                           operation: subject.operation)
        for binding in set.bindings {
            guard let policy = compiled[binding.policyName],
                  policy.policy.matchConstraints.matches(target),
                  binding.matchResources?.matches(target) ?? true
            else { continue }
            let paramSets = parameters[binding.name] ?? [.null]
            if paramSets.isEmpty {
                if binding.paramRef?.denyWhenNotFound == true {
                    out.append(violation(policy.policy, binding, subject, "no parameter object found for binding \(binding.name)", reason: "Invalid", at: binding.location))
                }
                continue
            }
            for params in paramSets {
                inputs["params"] = params
                out += evaluate(policy, binding: binding, subject: subject, inputs: inputs)
            }
        }
        return out
    }

    /// Each parameter object the binding selects; `[.null]` when the policy takes none.
    static func parameters(for binding: AdmissionPolicyBinding, policy: AdmissionPolicy, in set: PolicySet) -> [Value] {
        guard let kind = policy.paramKind, let ref = binding.paramRef else { return [.null] }
        let candidates = set.parameterObjects.filter { $0.apiVersion == kind.apiVersion && $0.kind == kind.kind }
        if let name = ref.name { return candidates.filter { $0.name == name }.map(\.value) }
        if let selector = ref.selector { return candidates.filter { selector.matches($0.labels) }.map(\.value) }
        return []
    }

    static func inputs(for subject: Subject) -> [String: Value] {
        [
            "object": subject.object ?? .null,
            "oldObject": subject.oldObject ?? .null,
            "request": [
                "operation": .string(subject.operation.rawValue),
                "name": .string(subject.identity.name),
                "namespace": subject.identity.namespace.map(Value.string) ?? .null,
                "kind": ["group": .string(subject.identity.group), "kind": .string(subject.identity.kind)],
            ],
            "cluster": [
                "name": .string(subject.cluster.name), "tier": .string(subject.cluster.tier.rawValue),
                "driver": .string(subject.cluster.driver.rawValue),
                "labels": .map(Mapping(subject.cluster.labels.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) })),
            ],
            "environment": [
                "name": .string(subject.environmentName),
                "namespace": subject.environment.map { .string($0.namespace) } ?? .null,
                "labels": .map(Mapping((subject.environment?.labels ?? [:]).sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) })),
            ],
        ]
    }

    func evaluate(_ policy: Compiled, binding: AdmissionPolicyBinding, subject: Subject, inputs: ExpressionInputs) -> [Violation] {
        // Variables in order; each may use the ones before it. A failing one is left out, so
        // reading it fails the expression that reads it, as in Kubernetes.
        var variables = Mapping()
        for variable in policy.variables {
            inputs["variables"] = .map(variables)
            if let value = try? variable.expression.evaluate(inputs) { variables[variable.name] = value }
        }
        inputs["variables"] = .map(variables)

        for condition in policy.conditions {
            do {
                let result = try condition.expression.evaluate(inputs)
                guard result.boolValue == true else { return [] }  // does not apply to this object
            } catch {
                if policy.policy.failurePolicy == .Ignore { return [] }
                return [violation(policy.policy, binding, subject, "matchCondition \(condition.name) failed: \(message(of: error))", reason: "Invalid", at: policy.policy.location)]
            }
        }

        var out: [Violation] = []
        for entry in policy.validations {
            do {
                let result = try entry.expression.evaluate(inputs)
                guard let passed = result.boolValue else {
                    throw ExpressionError("the expression gave \(result.typeName), not a boolean")
                }
                if passed { continue }
                var text = entry.validation.message ?? "failed expression: \(entry.validation.expression.source)"
                if let messageExpression = entry.message, let custom = (try? messageExpression.evaluate(inputs))?.stringValue,
                   !custom.isEmpty, !custom.contains("\n") {
                    text = custom
                }
                out.append(violation(policy.policy, binding, subject, text, reason: entry.validation.reason ?? "Invalid",
                                     at: entry.validation.expression.location))
            } catch {
                if policy.policy.failurePolicy == .Ignore { continue }
                out.append(violation(policy.policy, binding, subject,
                                     "expression \(entry.validation.expression.source) could not be evaluated: \(message(of: error))",
                                     reason: "Invalid", at: entry.validation.expression.location))
            }
        }
        return out
    }

    func violation(_ policy: AdmissionPolicy, _ binding: AdmissionPolicyBinding, _ subject: Subject, _ message: String,
                   reason: String?, at location: SourceLocation) -> Violation {
        Violation(policy: policy.name, binding: binding.name, actions: binding.validationActions, message: message, reason: reason,
                  cluster: subject.cluster.name, environment: subject.environmentName, object: subject.identity,
                  objectSource: subject.source, policySource: location)
    }

    func message(of error: any Error) -> String { (error as? any SluiceError)?.message ?? "\(error)" }
}

