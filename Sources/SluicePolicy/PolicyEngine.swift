import Foundation
import SluiceCEL
import SluiceCore
import SluiceSpec
import SluiceYAML

/// Evaluates a `PolicySet` against rendered objects, as the API server evaluates
/// ValidatingAdmissionPolicies against requests: bindings select policies, match constraints and
/// conditions select objects, variables are computed in order, and every failed validation of a
/// binding becomes a `Violation` with the binding's actions.
public struct PolicyEngine: Sendable {
    /// One compiled policy: every expression compiled once. A class, so that the hot loops that
    /// look a policy up for every subject take a reference rather than copy every field.
    final class Compiled: Sendable {
        let policy: AdmissionPolicy
        let conditions: [(name: String, expression: CELExpressionEngine.Compiled)]
        let variables: [(name: String, expression: CELExpressionEngine.Compiled)]
        let validations: [(validation: AdmissionPolicy.Validation, expression: CELExpressionEngine.Compiled, message: CELExpressionEngine.Compiled?)]
        /// The subject's inputs its expressions read: only those are converted for it.
        let inputNames: [SubjectInput]

        init(policy: AdmissionPolicy, conditions: [(name: String, expression: CELExpressionEngine.Compiled)],
             variables: [(name: String, expression: CELExpressionEngine.Compiled)],
             validations: [(validation: AdmissionPolicy.Validation, expression: CELExpressionEngine.Compiled, message: CELExpressionEngine.Compiled?)]) {
            self.policy = policy
            self.conditions = conditions
            self.variables = variables
            self.validations = validations
            let programs = conditions.map(\.expression.program) + variables.map(\.expression.program)
                + validations.flatMap { [$0.expression.program] + ($0.message.map { [$0.program] } ?? []) }
            inputNames = SubjectInput.allCases.filter { input in programs.contains { $0.referencedVariables.keys.contains(input.rawValue) } }
        }

        /// What its expressions can read of a subject: subjects that agree on it get the same results.
        var reads: InputReads {
            InputReads(conditions.map(\.expression.program.referencedVariables) + variables.map(\.expression.program.referencedVariables)
                + validations.flatMap { [$0.expression.program.referencedVariables] + ($0.message.map { [$0.program.referencedVariables] } ?? []) })
        }
    }

    let set: PolicySet
    let compiled: [String: Compiled]
    /// Each policy's `Compiled.reads`, found once.
    let reads: [String: InputReads]
    /// The parameter objects of each binding, by binding name, found once.
    let parameters: [String: [Value]]
    /// By binding index (`set.bindings`): its compiled policy (`nil`: the policy does not exist),
    /// what that policy reads and the binding's parameter objects, so that the loops over every
    /// subject look nothing up by name.
    let bindingPolicies: [Compiled?]
    let bindingReads: [InputReads]
    /// How many distinct slots `bindingReads` number.
    let slotCount: Int
    let bindingParameters: [[Value]]
    /// `bindingParameters` as CEL values, converted once.
    let bindingParameterValues: [[CELValue]]

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
        reads = compiled.mapValues(\.reads)
        var parameters: [String: [Value]] = [:]
        for binding in set.bindings {
            guard let policy = compiled[binding.policyName]?.policy else { continue }
            parameters[binding.name] = Self.parameters(for: binding, policy: policy, in: set)
        }
        self.parameters = parameters
        let reads = self.reads
        bindingPolicies = set.bindings.map { compiled[$0.policyName] }
        (bindingReads, slotCount) = InputReads.numbered(set.bindings.map { reads[$0.policyName] ?? InputReads([]) })
        bindingParameters = set.bindings.map { parameters[$0.name] ?? [.null] }
        bindingParameterValues = bindingParameters.map { $0.map(CELBridge.cel) }
    }

    /// What an evaluation looks at: the object (or `nil` for a deletion), its previous version,
    /// and where it goes. Its fields live in one box: the evaluation's loops pass subjects
    /// around by the thousand, and a copy is then one reference count, not one per string of
    /// the cluster and environment.
    public struct Subject: Sendable {
        private struct Fields: Sendable {
            var object: Value?
            var oldObject: Value?
            var identity: ObjectIdentity
            var source: SourceLocation
            var cluster: ClusterSpec
            var environment: EnvironmentSpec?
            var environmentName: String
        }

        private var fields: CopyOnWrite<Fields>

        public var object: Value? {
            get { fields.value.object }
            set { fields.value.object = newValue }
        }
        public var oldObject: Value? {
            get { fields.value.oldObject }
            set { fields.value.oldObject = newValue }
        }
        public var identity: ObjectIdentity {
            get { fields.value.identity }
            set { fields.value.identity = newValue }
        }
        public var source: SourceLocation {
            get { fields.value.source }
            set { fields.value.source = newValue }
        }
        public var cluster: ClusterSpec {
            get { fields.value.cluster }
            set { fields.value.cluster = newValue }
        }
        public var environment: EnvironmentSpec? {
            get { fields.value.environment }
            set { fields.value.environment = newValue }
        }
        public var environmentName: String {
            get { fields.value.environmentName }
            set { fields.value.environmentName = newValue }
        }

        public init(object: Value?, oldObject: Value?, identity: ObjectIdentity, source: SourceLocation,
                    cluster: ClusterSpec, environment: EnvironmentSpec?, environmentName: String) {
            fields = CopyOnWrite(Fields(object: object, oldObject: oldObject, identity: identity, source: source, cluster: cluster,
                                        environment: environment, environmentName: environmentName))
        }

        var operation: Operation { object == nil ? .DELETE : oldObject == nil ? .CREATE : .UPDATE }
    }

    /// The violations of every binding for every subject, in subject order.
    ///
    /// A policy is evaluated once for all the subjects that agree on everything it can read (the
    /// same job rendered identically on several clusters, for a policy that does not read the
    /// cluster), and its violations are given to each of them. The evaluations are independent,
    /// so they run on all cores in contiguous chunks.
    public func evaluate(_ subjects: [Subject]) -> [Violation] {
        let chunkCount = Swift.min(subjects.count, ProcessInfo.processInfo.activeProcessorCount * 4)
        func chunks(_ count: Int) -> [Range<Int>] {
            let n = Swift.min(count, chunkCount)
            return (0..<n).map { count * $0 / n ..< count * ($0 + 1) / n }
        }
        // What each subject needs, in the order its violations are reported. A storage shared by
        // several subjects is hashed once (`memo`).
        let memo = ExactValueMemo(), placements = PlacementInputs(), matches = MatchMemo()
        let allNeeds = chunks(subjects.count).concurrentMap { range in
            range.map { needs(of: subjects[$0], memo: memo, placements: placements, matches: matches) }
        }.flatMap { $0 }

        // Each distinct evaluation once, by the first subject that needs it. Each distinct slot
        // value of a subject is interned once (one exact comparison with the value first seen),
        // so the evaluations are told apart by small numbers, not by comparing whole objects
        // once per binding.
        // A slot value whose storage was met before has that one's number without a comparison
        // (`memo` holds every such storage, so no address is reused meanwhile).
        var interned: [InputReads.SlotValue: Int] = [:]
        var internedStorage: [InputReads.SlotValue.Storage: Int] = [:]
        var taskIndex: [EvaluationTask: Int] = [:]
        // Subjects that agree on the bindings selecting them and on every slot value need the
        // same tasks: their tasks are found once (the clusters that place a job alike).
        var tasksOfSignature: [Signature: [Int]] = [:]
        var tasks: [(subject: Int, task: EvaluationTask)] = []
        var steps: [[Step]] = []
        steps.reserveCapacity(subjects.count)
        for (s, subjectNeeds) in allNeeds.enumerated() {
            let ids = subjectNeeds.slotValues.map { value in
                let storage = value.storage
                if let storage, let id = internedStorage[storage] { return id }
                let id: Int
                if let known = interned[value] {
                    id = known
                } else {
                    id = interned.count
                    interned[value] = id
                }
                if let storage { internedStorage[storage] = id }
                return id
            }
            let signature = Signature(bindings: subjectNeeds.bindings, slotValues: ids)
            let known = tasksOfSignature[signature]
            var found: [Int] = []
            steps.append(subjectNeeds.needs.map { need in
                switch need {
                case .violation(let v): return .violation(v)
                case .evaluation(let binding, let parameter, let slots):
                    if let known {
                        found.append(known[found.count])
                    } else {
                        let task = EvaluationTask(binding: binding, parameter: parameter, slots: slots.map { ids[$0] })
                        if let index = taskIndex[task] {
                            found.append(index)
                        } else {
                            tasks.append((s, task))
                            taskIndex[task] = tasks.count - 1
                            found.append(tasks.count - 1)
                        }
                    }
                    return .task(found[found.count - 1])
                }
            })
            if known == nil { tasksOfSignature[signature] = found }
        }

        // The tasks of one subject are contiguous, and share its inputs.
        var grouped: [Range<Int>] = []
        var start = 0
        for i in tasks.indices where i + 1 == tasks.count || tasks[i + 1].subject != tasks[i].subject {
            grouped.append(start ..< i + 1)
            start = i + 1
        }
        let groups = grouped, planned = tasks
        let results = chunks(groups.count).concurrentMap { range in
            groups[range].flatMap { group -> [[Violation]] in
                let subject = subjects[planned[group.lowerBound].subject]
                let inputs = ExpressionInputs(Self.inputs(for: subject, placements: placements), shared: placements.celForms(of: subject))
                return planned[group].map { entry in
                    guard let policy = bindingPolicies[entry.task.binding] else { return [] }
                    inputs["params"] = bindingParameterValues[entry.task.binding][entry.task.parameter]
                    return evaluate(policy, binding: entry.task.binding, subject: subject, inputs: inputs)
                }
            }
        }.flatMap { $0 }

        var out: [Violation] = []
        for (s, subjectSteps) in steps.enumerated() {
            let subject = subjects[s]
            for step in subjectSteps {
                switch step {
                case .violation(let v): out.append(v)
                case .task(let t) where tasks[t].subject == s: out += results[t]
                case .task(let t):
                    out += results[t].map { found in
                        var v = found
                        v.cluster = subject.cluster.name
                        v.environment = subject.environmentName
                        v.object = subject.identity
                        v.objectSource = subject.source
                        return v
                    }
                }
            }
        }
        // The tables above are several small allocations per subject; they are freed on another
        // thread rather than keep the caller waiting.
        freeElsewhere((allNeeds, steps, tasks, taskIndex, tasksOfSignature, interned, internedStorage, results, memo, matches))
        return out
    }

    private func freeElsewhere<T: Sendable>(_ value: T) {
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(value) {} }
    }

    /// One evaluation of one binding's policy with one of its parameter objects, on inputs that
    /// agree on every slot the policy reads: `slots` are the interned slot values.
    struct EvaluationTask: Hashable, Sendable {
        var binding: Int
        var parameter: Int
        var slots: [Int]
    }

    /// A few words each: a `Violation` (rare here: a binding without its parameter object) is
    /// boxed, so that arrays of needs and steps, one entry per binding per subject, stay small.
    enum Need: Sendable {
        indirect case violation(Violation)
        /// `slots` index the subject's `SubjectNeeds.slotValues`.
        case evaluation(binding: Int, parameter: Int, slots: [Int])
    }

    /// What one subject needs, and the distinct values of the slots its evaluations read.
    struct SubjectNeeds: Sendable {
        var needs: [Need] = []
        var slotValues: [InputReads.SlotValue] = []
        /// The bindings that select the subject, in order: with the slot values, they decide its needs.
        var bindings: [Int] = []
    }

    /// What decides the evaluation tasks of a subject: the bindings that select it (and so which
    /// slots are read, in which order) and the interned value of each slot.
    struct Signature: Hashable {
        var bindings: [Int]
        var slotValues: [Int]
    }

    enum Step {
        indirect case violation(Violation)
        case task(Int)
    }

    /// What the bindings that select `subject` need, in binding and parameter order.
    func needs(of subject: Subject, memo: ExactValueMemo? = nil, placements: PlacementInputs? = nil, matches: MatchMemo? = nil) -> SubjectNeeds {
        var out = SubjectNeeds()
        var inputs: SubjectInputs?
        var slotCache = [Int](repeating: -1, count: slotCount)
        out.bindings = matches?.bindings(selecting: subject, of: self) ?? selectingBindings(subject)
        for index in out.bindings {
            guard let policy = bindingPolicies[index] else { continue }
            let paramSets = bindingParameters[index]
            if paramSets.isEmpty {
                let binding = set.bindings[index]
                if binding.paramRef?.denyWhenNotFound == true {
                    out.needs.append(.violation(violation(policy.policy, binding, subject, "no parameter object found for binding \(binding.name)", reason: "Invalid", at: binding.location)))
                }
                continue
            }
            if inputs == nil { inputs = Self.inputs(for: subject, placements: placements) }
            let slots = bindingReads[index].key(inputs!, cache: &slotCache, values: &out.slotValues, memo: memo)
            for parameter in paramSets.indices {
                out.needs.append(.evaluation(binding: index, parameter: parameter, slots: slots))
            }
        }
        return out
    }

    /// The indices of the bindings whose policy exists and whose match constraints and binding
    /// match resources select the subject, in binding order.
    func selectingBindings(_ subject: Subject) -> [Int] {
        let namespaceLabels = subject.identity.namespace.map { ["kubernetes.io/metadata.name": $0] } ?? [:]
        let target = MatchResources.Target(subject.object ?? subject.oldObject ?? .null, namespaceLabels: namespaceLabels,
                                           operation: subject.operation)
        return set.bindings.indices.filter { index in
            guard let policy = bindingPolicies[index] else { return false }
            return policy.policy.matchConstraints.matches(target) && (set.bindings[index].matchResources?.matches(target) ?? true)
        }
    }

    /// The violations of every binding for one subject.
    public func evaluate(_ subject: Subject) -> [Violation] {
        var out: [Violation] = []
        // One set of inputs for all bindings: the object is converted for the engine once.
        let inputs = ExpressionInputs(Self.inputs(for: subject))
        for index in selectingBindings(subject) {
            guard let policy = bindingPolicies[index] else { continue }
            let binding = set.bindings[index]
            let paramSets = bindingParameterValues[index]
            if paramSets.isEmpty {
                if binding.paramRef?.denyWhenNotFound == true {
                    out.append(violation(policy.policy, binding, subject, "no parameter object found for binding \(binding.name)", reason: "Invalid", at: binding.location))
                }
                continue
            }
            for params in paramSets {
                inputs["params"] = params
                out += evaluate(policy, binding: index, subject: subject, inputs: inputs)
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

    static func inputs(for subject: Subject, placements: PlacementInputs? = nil) -> SubjectInputs {
        SubjectInputs(subject: subject, cluster: placements?.cluster(subject.cluster) ?? clusterInput(subject.cluster),
                      environment: placements?.environment(subject) ?? environmentInput(subject))
    }

    static func requestInput(_ subject: Subject) -> Value {
        [
            "operation": .string(subject.operation.rawValue),
            "name": .string(subject.identity.name),
            "namespace": subject.identity.namespace.map(Value.string) ?? .null,
            "kind": ["group": .string(subject.identity.group), "kind": .string(subject.identity.kind)],
        ]
    }

    static func clusterInput(_ cluster: ClusterSpec) -> Value {
        [
            "name": .string(cluster.name), "tier": .string(cluster.tier.rawValue),
            "driver": .string(cluster.driver.rawValue),
            "labels": .map(Mapping(cluster.labels.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) })),
        ]
    }

    static func environmentInput(_ subject: Subject) -> Value {
        [
            "name": .string(subject.environmentName),
            "namespace": subject.environment.map { .string($0.namespace) } ?? .null,
            "labels": .map(Mapping((subject.environment?.labels ?? [:]).sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .string($0.value)) })),
        ]
    }

    /// `binding` indexes `set.bindings`; the binding itself is read only for a violation.
    func evaluate(_ policy: Compiled, binding index: Int, subject: Subject, inputs: ExpressionInputs) -> [Violation] {
        // Variables in order; each may use the ones before it. A failing one is left out, so
        // reading it fails the expression that reads it, as in Kubernetes.
        inputs.prepare(policy.inputNames)
        var variables: [(String, CELValue)] = []
        for variable in policy.variables {
            inputs["variables"] = .map(CELMap(distinctStringKeys: variables))
            guard let value = try? variable.expression.evaluateCEL(inputs) else { continue }
            if let known = variables.firstIndex(where: { $0.0 == variable.name }) {
                variables[known].1 = value
            } else {
                variables.append((variable.name, value))
            }
        }
        inputs["variables"] = .map(CELMap(distinctStringKeys: variables))

        for condition in policy.conditions {
            do {
                let result = try condition.expression.evaluate(inputs)
                guard result.boolValue == true else { return [] }  // does not apply to this object
            } catch {
                if policy.policy.failurePolicy == .Ignore { return [] }
                return [violation(policy.policy, set.bindings[index], subject, "matchCondition \(condition.name) failed: \(message(of: error))", reason: "Invalid", at: policy.policy.location)]
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
                out.append(violation(policy.policy, set.bindings[index], subject, text, reason: entry.validation.reason ?? "Invalid",
                                     at: entry.validation.expression.location))
            } catch {
                if policy.policy.failurePolicy == .Ignore { continue }
                out.append(violation(policy.policy, set.bindings[index], subject,
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

