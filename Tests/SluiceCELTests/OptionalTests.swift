import SluiceCEL
import Testing

@Suite("CEL optionals")
struct OptionalTests {
    func eval(_ expression: String, _ activation: [String: CELValue] = [:]) throws -> CELValue {
        try CEL.compile(expression).evaluate(activation)
    }

    /// `{"spec": {"replicas": 3, "name": ""}}`, a typical Kubernetes-shaped object.
    var object: CELValue {
        get throws {
            let spec = try CELMap([(.string("replicas"), .int(3)), (.string("name"), .string(""))])
            return .map(try CELMap([(.string("spec"), .map(spec))]))
        }
    }

    @Test("optional.of, optional.none and optional.ofNonZeroValue build optionals")
    func constructors() throws {
        #expect(try eval("optional.of(1)").celEquals(.optional(.int(1))))
        #expect(try eval("optional.none()").celEquals(.optional(nil)))
        #expect(try eval("optional.ofNonZeroValue(0)").celEquals(.optional(nil)))
        #expect(try eval("optional.ofNonZeroValue('')").celEquals(.optional(nil)))
        #expect(try eval("optional.ofNonZeroValue([])").celEquals(.optional(nil)))
        #expect(try eval("optional.ofNonZeroValue('x')").celEquals(.optional(.string("x"))))
        // An optional holding null is not empty.
        #expect(try eval("optional.of(null).hasValue()").celEquals(.bool(true)))
        #expect(try eval("type(optional.none()) == optional_type").celEquals(.bool(true)))
    }

    @Test("value() of an empty optional is an error; orValue and or supply defaults")
    func accessors() throws {
        #expect(throws: CELError.self) { try eval("optional.none().value()") }
        #expect(try eval("optional.of(2).value()").celEquals(.int(2)))
        #expect(try eval("optional.none().orValue(7)").celEquals(.int(7)))
        #expect(try eval("optional.of(2).orValue(7)").celEquals(.int(2)))
        #expect(try eval("optional.none().or(optional.of(3)).value()").celEquals(.int(3)))
        #expect(try eval("optional.of(1).or(optional.of(3)).value()").celEquals(.int(1)))
    }

    @Test("a.?b and a[?k] are empty when the field, key or index is absent")
    func optionalSelectionAndIndex() throws {
        let vars = ["object": try object]
        #expect(try eval("object.spec.?replicas.orValue(1)", vars).celEquals(.int(3)))
        #expect(try eval("object.spec.?paused.orValue(false)", vars).celEquals(.bool(false)))
        // Once empty, the rest of the chain stays empty instead of failing.
        #expect(try eval("object.?status.conditions[0].type.hasValue()", vars).celEquals(.bool(false)))
        #expect(try eval("object.spec[?'replicas'].value()", vars).celEquals(.int(3)))
        #expect(try eval("[1, 2][?5].hasValue()").celEquals(.bool(false)))
        #expect(try eval("[1, 2][?1].value()").celEquals(.int(2)))
        // A plain selection of an absent field is still an error.
        #expect(throws: CELError.self) { try eval("object.status", vars) }
    }

    @Test("has() sees through optionals")
    func presence() throws {
        let vars = ["object": try object]
        #expect(try eval("has(object.?spec.replicas)", vars).celEquals(.bool(true)))
        #expect(try eval("has(object.?status.replicas)", vars).celEquals(.bool(false)))
    }

    @Test("?entries of list and map literals are left out when empty")
    func optionalEntries() throws {
        #expect(try eval("[1, ?optional.none(), ?optional.of(3)]").celEquals(.list([.int(1), .int(3)])))
        let map = try eval("{'a': 1, ?'b': optional.none(), ?'c': optional.of(3)}")
        #expect(map.celEquals(.map(try CELMap([(.string("a"), .int(1)), (.string("c"), .int(3))]))))
        // A ?entry must be an optional.
        #expect(throws: CELError.self) { try eval("[?1]") }
    }

    @Test("optMap and optFlatMap transform a present value and keep an empty one empty")
    func mapping() throws {
        #expect(try eval("optional.of(2).optMap(x, x * 10).value()").celEquals(.int(20)))
        #expect(try eval("optional.none().optMap(x, x * 10).hasValue()").celEquals(.bool(false)))
        #expect(try eval("optional.of(0).optFlatMap(x, optional.ofNonZeroValue(x)).hasValue()").celEquals(.bool(false)))
        #expect(try eval("optional.unwrap([optional.of(1), optional.none()])").celEquals(.list([.int(1)])))
        #expect(try eval("[optional.none(), optional.of(2)].unwrapOpt()").celEquals(.list([.int(2)])))
    }

    @Test("optionals are equal when both are empty or both hold equal values")
    func equality() throws {
        #expect(try eval("optional.none() == optional.none()").celEquals(.bool(true)))
        #expect(try eval("optional.of(1) == optional.of(1u)").celEquals(.bool(true)))
        #expect(try eval("optional.of(1) != optional.none()").celEquals(.bool(true)))
    }
}
