import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SluiceTestSupport
import SluiceYAML
import Testing

@Suite("sluice check on a pull-request-like pair of revisions")
struct CheckCommandTests {
    /// A repository with specs-example and policies/ at `base`, and a change at `head` that makes a
    /// production job stateless and pins nothing: two Deny policies and a field change.
    static func repository() throws -> (TemporaryDirectory, base: String, head: String) {
        let repo = try TemporaryDirectory(prefix: "sluice-check")
        for folder in ["specs-example", "policies"] {
            try FileManager.default.copyItem(at: SluiceBinary.repositoryRoot.appendingPathComponent(folder),
                                             to: repo.url.appendingPathComponent(folder))
        }
        try git(["init", "-q"], in: repo.url)
        try git(["add", "-A"], in: repo.url)
        try git(["commit", "-qm", "base"], in: repo.url)
        let base = try git(["rev-parse", "HEAD"], in: repo.url).trimmingCharacters(in: .whitespacesAndNewlines)
        let job = repo.url.appendingPathComponent("specs-example/jobs/clickstream-enrichment.yaml")
        let text = try String(contentsOf: job, encoding: .utf8)
            .replacingOccurrences(of: "upgradeMode: savepoint", with: "upgradeMode: stateless")
            .replacingOccurrences(of: "parallelism: 8", with: "parallelism: 6")
        try text.write(to: job, atomically: true, encoding: .utf8)
        try git(["commit", "-qam", "make clickstream stateless"], in: repo.url)
        let head = try git(["rev-parse", "HEAD"], in: repo.url).trimmingCharacters(in: .whitespacesAndNewlines)
        return (repo, base, head)
    }

    func check(_ repo: TemporaryDirectory, _ base: String, _ head: String, _ extra: [String] = []) async throws -> SluiceBinary.Result {
        try await SluiceBinary.run(["check", "--repo", repo.path, "--base", base, "--head", head, "--path", "specs-example"] + extra)
    }

    @Test("a clean change exits 0; warnings fail only when asked")
    func clean() async throws {
        let (repo, base, _) = try Self.repository()
        let result = try await check(repo, base, base)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("0 changes, 0 denied, 2 warnings"))
        #expect(try await check(repo, base, base, ["--fail-on-warnings"]).status == 1)
    }

    @Test("a denied change exits 1 and every format says why, where")
    func denied() async throws {
        let (repo, base, head) = try Self.repository()
        let text = try await check(repo, base, head)
        #expect(text.status == 1)
        #expect(text.stdout.contains("ERROR upgrade-mode-transition: upgradeMode may not change from savepoint to stateless in production"))
        #expect(text.stdout.contains("~ spec.job.upgradeMode: \"savepoint\" → \"stateless\""))
        // A parallelism change in native mode is an upgrade (JobSpec.parallelism: SCALE only in STANDALONE).
        #expect(text.stdout.contains("changed (upgrade): FlinkDeployment.flink.apache.org flink-prod/clickstream-enrichment [production]"))
        #expect(text.stdout.contains("changed (ignore): FlinkDeployment.flink.apache.org flink-staging/clickstream-enrichment [staging]"))

        let json = try await JSON.decode(check(repo, base, head, ["--output", "json"]).stdout)
        #expect((json[path: "summary", "denied"]?.intValue ?? 0) >= 2)
        let policies = Set((json["violations"]?.listValue ?? []).compactMap { $0["policy"]?.stringValue })
        #expect(policies.isSuperset(of: ["upgrade-mode-transition", "stateful-upgrades", "durable-checkpoints"]))
        let violation = try #require(json["violations"]?.listValue?.first { $0["policy"] == "upgrade-mode-transition" })
        #expect(violation["file"] == "specs-example/jobs/clickstream-enrichment.yaml")
        #expect(violation["cluster"] == "aws-eu-west-1" || violation["cluster"] == "dc-frankfurt")

        let sarifText = try await check(repo, base, head, ["--output", "sarif"]).stdout
        let validation = try Self.validateSARIF(sarifText)
        #expect(validation.status == 0, "sluice's SARIF breaks the 2.1.0 schema: \(validation.stderr.suffix(1500))")
        let broken = sarifText.replacingOccurrences(of: #""ruleId""#, with: #""ruleID""#)
        #expect(try Self.validateSARIF(broken).status != 0, "the validator catches a property the schema does not know")
        let sarif = try JSON.decode(sarifText)
        #expect(sarif["version"] == "2.1.0")
        #expect((sarif[path: "runs"]?[0]?["results"]?.listValue ?? []).contains { $0["level"] == "error" && $0["ruleId"] == "upgrade-mode-transition" })

        let junit = try await check(repo, base, head, ["--output", "junit"])
        let xml = try XMLDocument(xmlString: junit.stdout)
        #expect(try !xml.nodes(forXPath: "//failure").isEmpty)

        let github = try await check(repo, base, head, ["--output", "github"]).stdout
        #expect(github.contains("::error file=specs-example/jobs/clickstream-enrichment.yaml,line="))
        #expect(github.contains("::warning file=specs-example/jobs/iot-sensor-aggregation.yaml"))

        let markdown = try await check(repo, base, head, ["--output", "markdown"]).stdout
        #expect(markdown.hasPrefix("### Sluice: ❌"))
        #expect(markdown.contains("| aws-eu-west-1 | public |"))
    }

    @Test("an unknown base revision is a usage error naming it")
    func unknownBase() async throws {
        let (repo, _, head) = try Self.repository()
        let result = try await check(repo, "no-such-base", head)
        #expect(result.status == 2)
        #expect(result.stderr.contains("no-such-base"))
    }

    /// Validates a SARIF log against the OASIS 2.1.0 schema through pydantic-sarif, a model
    /// generated from `sarif-schema-2.1.0.json` (closed objects, enums and required properties
    /// included); `scripts/install-deps.sh` installs it.
    static func validateSARIF(_ text: String) throws -> ProcessResult {
        let directory = try TemporaryDirectory(prefix: "sluice-sarif")
        let file = try directory.write("check.sarif", text)
        let script = """
            import sys
            try:
                from pydantic_sarif.model import StaticAnalysisResultsFormatSarifVersion210JsonSchema as Sarif
            except ImportError:
                sys.exit("pydantic-sarif is missing: run scripts/install-deps.sh")
            Sarif.model_validate_json(open(sys.argv[1], encoding="utf-8").read())
            """
        return try run("/usr/bin/env", ["python3", "-c", script, file.path])
    }
}
