import SluiceCEL
import SluiceCore
import SluiceYAML

/// The named inputs of the evaluations for one object, shared by all the expressions of the
/// policies evaluated for it. Each of the subject's inputs is converted to a CEL value once, and
/// only when a policy that reads it is evaluated (a policy that never reads `oldObject` does not
/// pay for converting it); a binding's parameters and a policy's variables come in as CEL values.
/// Used by one evaluation at a time.
final class ExpressionInputs {
    /// The subject's inputs.
    private let subject: SubjectInputs
    /// Which of them are in `activation` already, one bit each (`SubjectInput.bit`): a set of
    /// the enum hashed each input's name on every evaluation.
    private var converted: UInt8 = 0
    /// What the expressions see.
    private(set) var activation = CELActivation()

    /// `shared` are inputs already in CEL form (shared by many subjects); they stand in for the
    /// same inputs of `subject`.
    init(_ subject: SubjectInputs, shared: [SubjectInput: CELValue] = [:]) {
        self.subject = subject
        for (input, value) in shared {
            activation[input.rawValue] = value
            converted |= input.bit
        }
    }

    /// Converts those of `inputs` (the subject's inputs a policy reads) not converted yet.
    func prepare(_ inputs: [SubjectInput]) {
        for input in inputs where converted & input.bit == 0 {
            activation[input.rawValue] = CELBridge.cel(subject[input])
            converted |= input.bit
        }
    }

    /// An input given as a CEL value: `params`, `variables`.
    subscript(name: String) -> CELValue? {
        get { activation[name] }
        set { activation[name] = newValue }
    }
}

/// What an expression can read of the subject of an evaluation, by name.
enum SubjectInput: String, Sendable, Hashable, CaseIterable {
    case object, oldObject, request, cluster, environment

    /// The input's own bit, for sets of inputs kept in a byte.
    var bit: UInt8 {
        switch self {
        case .object: 1
        case .oldObject: 2
        case .request: 4
        case .cluster: 8
        case .environment: 16
        }
    }
}

/// A subject's inputs as YAML values. `request` is made only when read: most policies never do.
struct SubjectInputs {
    let subject: PolicyEngine.Subject
    let cluster: Value
    let environment: Value

    subscript(input: SubjectInput) -> Value {
        switch input {
        case .object: subject.object ?? .null
        case .oldObject: subject.oldObject ?? .null
        case .request: PolicyEngine.requestInput(subject)
        case .cluster: cluster
        case .environment: environment
        }
    }
}

/// An expression failed to compile or evaluate; the position is inside the expression text.
public struct ExpressionError: SluiceError {
    public var message: String
    /// 1-based line and column inside the expression, when known.
    public var line: Int?
    public var column: Int?

    public init(_ message: String, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.line = line
        self.column = column
    }
}
