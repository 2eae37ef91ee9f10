import Foundation
import SluiceCEL

/// Evaluations per second of policy-like expressions, one compiled program each, against a
/// FlinkDeployment-shaped object; scripts/bench.sh runs the same expressions and data through the
/// C++ reference implementation's Python binding.
enum CELBenchmark {
    static let expressions = [
        "object.spec.job.parallelism <= object.spec.taskManager.replicas * 2 && object.spec.image.startsWith('ghcr.io/')",
        "['jobManager', 'taskManager'].all(role, role in object.spec && 'resource' in object.spec[role] && 'memory' in object.spec[role].resource)",
        "object.spec.flinkConfiguration.all(key, !key.matches('(?i)(password|secret|token)') || string(object.spec.flinkConfiguration[key]).startsWith('${'))",
        "has(object.spec.job) && object.spec.job.upgradeMode in ['savepoint', 'last-state']",
        // Three clauses joined by &&: the shape of most validations in policies/.
        "object.spec.job.parallelism <= object.spec.taskManager.replicas * 2 && object.spec.image.startsWith('ghcr.io/') && object.spec.job.upgradeMode != 'stateless'",
        // Does nothing: what one call costs around the engine (scripts/bench.sh subtracts the
        // binding's figure for this from the C++ engine's).
        "true",
    ]

    static func object() throws -> CELValue {
        func map(_ pairs: [(String, CELValue)]) throws -> CELValue { .map(try CELMap(pairs.map { (.string($0.0), $0.1) })) }
        return try map([("spec", try map([
            ("image", .string("ghcr.io/example/jobs:1.2.3")),
            ("flinkConfiguration", try map([("taskmanager.numberOfTaskSlots", .string("2")), ("state.backend.type", .string("rocksdb")),
                                            ("execution.checkpointing.interval", .string("30s")), ("s3.secret-key", .string("${S3_SECRET}"))])),
            ("jobManager", try map([("replicas", .int(2)), ("resource", try map([("memory", .string("2048m")), ("cpu", .int(1))]))])),
            ("taskManager", try map([("replicas", .int(2)), ("resource", try map([("memory", .string("4096m")), ("cpu", .int(2))]))])),
            ("job", try map([("parallelism", .int(4)), ("upgradeMode", .string("savepoint"))])),
        ]))])
    }

    /// Rates are per second of this thread's CPU time, not of wall time: on a machine shared with
    /// other work the wall clock measures the others too.
    static func run(iterations: Int) throws {
        let activation = CELActivation(["object": try object()])
        for (i, source) in expressions.enumerated() {
            let program = try CEL.compile(source)
            _ = try program.evaluate(activation)
            var best = Double.infinity
            for _ in 0..<3 {
                let t = try threadCPUSeconds { for _ in 0..<iterations { _ = try program.evaluate(activation) } }
                best = min(best, t)
            }
            print(String(format: "cel-sluice expr%d: %.0f evals/s", i + 1, Double(iterations) / best))
        }
    }

    static func threadCPUSeconds(_ body: () throws -> Void) rethrows -> Double {
        func now() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
        let start = now()
        try body()
        return now() - start
    }
}
