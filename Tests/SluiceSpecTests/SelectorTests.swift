import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

@Suite struct LabelSelectorTests {
    let prod: [String: String] = ["app": "orders", "tier": "public", "region": "eu"]
    let legacy: [String: String] = ["app": "billing", "legacy": "true"]

    @Test func emptySelectorMatchesEverything() throws {
        #expect(LabelSelector().matches([:]))
        #expect(LabelSelector().matches(prod))
        #expect(try LabelSelector(Value.null).isEmpty)
        #expect(try LabelSelector([:] as Value).matches(legacy))
        #expect(try LabelSelector(parsing: "  ").isEmpty)
    }

    @Test func eachOperator() {
        typealias R = LabelSelector.Requirement
        #expect(R(key: "tier", .in, ["public", "private"]).matches(prod))
        #expect(!R(key: "tier", .in, ["private"]).matches(prod))
        #expect(!R(key: "tier", .in, ["public"]).matches(legacy), "In needs the label present")
        #expect(R(key: "tier", .notIn, ["private"]).matches(prod))
        #expect(!R(key: "tier", .notIn, ["public"]).matches(prod))
        #expect(R(key: "tier", .notIn, ["public"]).matches(legacy), "NotIn matches when the label is absent")
        #expect(R(key: "legacy", .exists).matches(legacy))
        #expect(!R(key: "legacy", .exists).matches(prod))
        #expect(R(key: "legacy", .doesNotExist).matches(prod))
        #expect(!R(key: "legacy", .doesNotExist).matches(legacy))
    }

    @Test func structuredFormCombinesMatchLabelsAndExpressionsWithAnd() throws {
        let selector = try LabelSelector([
            "matchLabels": ["app": "orders"],
            "matchExpressions": [
                ["key": "tier", "operator": "In", "values": ["public", "private"]],
                ["key": "legacy", "operator": "DoesNotExist"],
            ],
        ])
        #expect(selector.requirements.count == 3)
        #expect(selector.matches(prod))
        #expect(!selector.matches(prod.merging(["legacy": "yes"]) { $1 }))
        #expect(!selector.matches(prod.merging(["tier": "edge"]) { $1 }))
        #expect(!selector.matches(legacy))
        #expect(LabelSelector(matchLabels: ["app": "orders", "region": "eu"]).matches(prod))
        #expect(!LabelSelector(matchLabels: ["app": "orders", "region": "us"]).matches(prod))
    }

    @Test func structuredFormProblemsAreLocatedDiagnostics() throws {
        let yaml = """
            matchLabels:
              app: 3
            matchExpressions:
              - key: tier
                operator: Equals
                values: [a]
              - key: region
                operator: In
              - key: legacy
                operator: Exists
                values: [x]
              - key: "bad key!"
                operator: Exists
            matchLabel: {}
            """
        let error = try #require(throws: DiagnosticError.self) {
            try LabelSelector(try YAML.parseDocument(yaml, file: "env.yaml"))
        }
        let byMessage = Dictionary(uniqueKeysWithValues: error.diagnostics.map { ($0.message, $0.location) })
        #expect(byMessage["matchLabels.app: expected string, found integer"] == SourceLocation(file: "env.yaml", line: 2, column: 8))
        #expect(byMessage["matchExpressions[0].operator: unsupported value \"Equals\"; expected one of: In, NotIn, Exists, DoesNotExist"]
            == SourceLocation(file: "env.yaml", line: 5, column: 15))
        #expect(byMessage["matchExpressions[1].values: must be non-empty when operator is In"]
            == SourceLocation(file: "env.yaml", line: 7, column: 5))
        #expect(byMessage["matchExpressions[2].values: must be empty when operator is Exists"]
            == SourceLocation(file: "env.yaml", line: 11, column: 13))
        #expect(error.diagnostics.contains { $0.message.hasPrefix("matchExpressions[3].key: invalid key \"bad key!\"") })
        #expect(byMessage["unknown field \"matchLabel\""] == SourceLocation(file: "env.yaml", line: 14, column: 1))
        #expect(error.diagnostics.count == 6)
    }

    @Test func stringFormParsesEveryOperator() throws {
        let selector = try LabelSelector(parsing: "app=orders, tier in (public,private),region notin (us),!legacy,team,env==prod,zone!=b")
        typealias R = LabelSelector.Requirement
        #expect(selector.requirements == [
            R(key: "app", .in, ["orders"]),
            R(key: "tier", .in, ["private", "public"]),
            R(key: "region", .notIn, ["us"]),
            R(key: "legacy", .doesNotExist),
            R(key: "team", .exists),
            R(key: "env", .in, ["prod"]),
            R(key: "zone", .notIn, ["b"]),
        ])
        #expect(try LabelSelector(parsing: "app=orders,tier in (public, private)").matches(prod))
        #expect(try !LabelSelector(parsing: "app=orders,!region").matches(prod))
        #expect(try LabelSelector(parsing: "sluice.dev/tier in (public,private)").matches(["sluice.dev/tier": "private"]))
        #expect(try LabelSelector(parsing: "tier=").matches(["tier": ""]))
    }

    @Test func stringFormRoundTripsThroughDescription() throws {
        let text = "app=orders,tier in (private,public),region notin (eu,us),!legacy,team"
        let selector = try LabelSelector(parsing: text)
        #expect(selector.description == text)
        #expect(try LabelSelector(parsing: selector.description) == selector)
    }

    @Test(arguments: [
        ("tier in (a", "expected ',' or ')', found the end"),
        ("tier in ()", "in needs at least one value"),
        ("tier in a", "expected '(' after in"),
        ("a=b,", "expected a label key, found the end"),
        ("replicas > 2", "unsupported operator '>'"),
        ("a b", "expected an operator"),
        ("-bad=x", "invalid label key \"-bad\""),
        ("app=no way", "expected ',' or the end, found \"way\""),
        ("app=-x", "invalid label value \"-x\""),
        ("app=(x)", "expected a label value, found '('"),
    ])
    func stringFormErrorsSayWhereAndWhy(_ text: String, _ reason: String) throws {
        let error = try #require(throws: LabelSelectorSyntaxError.self) { try LabelSelector(parsing: text) }
        #expect(error.message.contains(reason), "\(error.message)")
        #expect(error.message.hasPrefix("invalid label selector \"\(text)\" at character "))
    }

    @Test func errorPositionPointsAtTheBadToken() throws {
        let error = try #require(throws: LabelSelectorSyntaxError.self) { try LabelSelector(parsing: "app=x,tier in ()") }
        #expect(error.position == 15)
    }
}
