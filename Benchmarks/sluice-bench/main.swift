import Foundation
import SluiceCore
import SluiceGit
import SluiceSpec
import SluiceYAML

// `sluice-bench`: the benchmarks behind `make bench` (scripts/bench.sh drives them).
//
//   sluice-bench generate-specs <dir> [jobs] [clusters] [environments]
//   sluice-bench spec-from-git <repo> [path]   load + validate + render from HEAD; time and peak memory
//   sluice-bench yaml-parse <dir> [rounds]     parse every YAML file under dir; best wall and CPU time of the rounds
//   sluice-bench yaml-vs-floor <dir> [rounds]  the same parse against libyaml's raw events, round by round in one process
//   sluice-bench cel [iterations]              evaluations per second of policy-like CEL expressions
//   sluice-bench plan-live <jobs> <root> <url> plan time against live state served from <root> at <url>
//   sluice-bench flink-upgrade [rounds]         savepoint upgrades on a real Flink cluster, Sluice's share separated
//   sluice-bench prepare-fleet <dir> <jobs> <clusters> <base-url>  an in-sync fleet for the serve memory benchmark
//   sluice-bench serve-latency <sluice> [rounds] commit-to-running through the webhook path on a real Flink cluster
//   sluice-bench serve-resync <sluice> <jobs> <clusters> [seconds]  memory and CPU per full resync of an in-sync fleet
//   sluice-bench kube-apply [jobs]              apply FlinkDeployments to the fake Kubernetes API server; time and requests/s
//   sluice-bench verify-signatures <repo> <allowed_signers|-> [keyring|-] [rounds]  signature verification per commit
//   sluice-bench journal-plan [changes] [records] what a long journal adds to planning
//   sluice-bench kube-noop-plan <jobs> <sluice>  memory and requests of a no-op `sluice plan` against the fake API server
//   sluice-bench dashboard-render <base-url> <read-token> [rounds]  the dashboard's first render in headless Chromium

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// CPU time this thread has used, in seconds: on a machine shared with other work it barely
/// changes where wall time doubles.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Peak resident memory of this process so far, in MiB.
func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sluice-bench: \(message)\n".utf8))
    exit(2)
}

let args = CommandLine.arguments.dropFirst()
guard let command = args.first else { fail("usage: sluice-bench generate-specs|spec-from-git|yaml-parse ...") }
let rest = Array(args.dropFirst())

do {
    switch command {
    case "generate-specs":
        guard let dir = rest.first else { fail("generate-specs <dir> [jobs] [clusters] [environments]") }
        let jobs = rest.count > 1 ? Int(rest[1]) ?? 1000 : 1000
        let clusters = rest.count > 2 ? Int(rest[2]) ?? 10 : 10
        let environments = rest.count > 3 ? Int(rest[3]) ?? 3 : 3
        try SpecGenerator.write(to: URL(fileURLWithPath: dir), jobs: jobs, clusters: clusters, environments: environments)

    case "spec-from-git":
        guard let repoPath = rest.first else { fail("spec-from-git <repo> [path]") }
        let path = rest.count > 1 ? rest[1] : ""
        var objects = 0, workloads = 0
        let elapsed = try seconds {
            let repository = try GitRepository.open(path: repoPath)
            let commit = try repository.resolve("HEAD")
            let specs = try SpecLoader().load(from: try repository.tree(at: commit), path: path, revision: commit.description)
            let state = try Renderer().render(specs)
            objects = state.objectCount
            workloads = specs.workloads.count
        }
        print(String(format: "spec-from-git: %d workloads -> %d rendered objects in %.3f s, peak memory %.1f MiB",
                     workloads, objects, elapsed, peakMemoryMiB()))

    case "yaml-parse":
        guard let dir = rest.first else { fail("yaml-parse <dir> [rounds]") }
        let rounds = rest.count > 1 ? Int(rest[1]) ?? 5 : 5
        let tree = DirectoryTree(path: dir)
        let files = try tree.files(under: "").filter { $0.hasSuffix(".yaml") }
        let contents = try files.map { try tree.read($0) }
        var best = Double.infinity, bestCPU = Double.infinity
        var documents = 0
        for _ in 0..<rounds {
            documents = 0
            let cpu = threadCPUSeconds()
            let t = try seconds {
                for (file, bytes) in zip(files, contents) {
                    documents += try YAML.parseDocuments(bytes, file: file).count
                }
            }
            best = min(best, t)
            bestCPU = min(bestCPU, threadCPUSeconds() - cpu)
        }
        let bytes = contents.reduce(0) { $0 + $1.count }
        print(String(format: "yaml-parse: %d files, %d documents, %d bytes, best of %d: %.4f s wall, %.4f s CPU",
                     files.count, documents, bytes, rounds, best, bestCPU))

    case "yaml-vs-floor":
        guard let dir = rest.first else { fail("yaml-vs-floor <dir> [rounds]") }
        try YAMLFloorBenchmark.run(directory: dir, iterations: max(4, rest.count > 1 ? Int(rest[1]) ?? 120 : 120))

    case "cel":
        try CELBenchmark.run(iterations: rest.first.flatMap { Int($0) } ?? 20_000)

    case "plan-live":
        guard rest.count == 3, let jobs = Int(rest[0]), let url = URL(string: rest[2]) else { fail("plan-live <jobs> <root> <url>") }
        try await FlinkBenchmarks.planAgainstLiveState(jobs: jobs, root: URL(fileURLWithPath: rest[1]), url: url)

    case "prepare-fleet":
        guard rest.count == 4, let jobs = Int(rest[1]), let clusters = Int(rest[2]) else { fail("prepare-fleet <dir> <jobs> <clusters> <base-url>") }
        try ServeBenchmarks.prepareFleet(at: URL(fileURLWithPath: rest[0]), jobs: jobs, clusters: clusters, base: rest[3])

    case "serve-latency":
        guard let sluice = rest.first else { fail("serve-latency <path to sluice> [rounds]") }
        try await ServeBenchmarks.webhookLatency(sluice: sluice, rounds: rest.count > 1 ? Int(rest[1]) ?? 3 : 3)

    case "serve-resync":
        guard rest.count >= 3, let jobs = Int(rest[1]), let clusters = Int(rest[2]) else { fail("serve-resync <path to sluice> <jobs> <clusters> [seconds]") }
        try await ServeBenchmarks.resync(sluice: rest[0], jobs: jobs, clusters: clusters, seconds: rest.count > 3 ? Int(rest[3]) ?? 30 : 30)

    case "dashboard-render":
        guard rest.count >= 2 else { fail("dashboard-render <base-url> <read-token> [rounds]") }
        try await DashboardBenchmark.run(base: rest[0], token: rest[1], rounds: rest.count > 2 ? Int(rest[2]) ?? 3 : 3)

    case "kube-apply":
        try await KubernetesBenchmark.run(jobs: rest.first.flatMap { Int($0) } ?? 1000)

    case "kube-noop-plan":
        guard rest.count >= 2, let jobs = Int(rest[0]) else { fail("kube-noop-plan <jobs> <sluice binary>") }
        try await KubernetesNoopBenchmark.run(jobs: jobs, sluice: rest[1])

    case "journal-plan":
        try await JournalBenchmark.run(changes: rest.first.flatMap { Int($0) } ?? 1000, records: rest.dropFirst().first.flatMap { Int($0) } ?? 100_000)

    case "flink-upgrade":
        try await FlinkBenchmarks.savepointUpgrade(rounds: rest.first.flatMap { Int($0) } ?? 3)

    case "verify-signatures":
        guard rest.count >= 2 else { fail("verify-signatures <repo> <allowed_signers|-> [keyring|-] [rounds]") }
        func file(_ index: Int) -> String? { rest.count > index && rest[index] != "-" ? rest[index] : nil }
        try SignatureBenchmark.run(repository: rest[0], allowedSigners: file(1), keyring: file(2),
                                   rounds: rest.count > 3 ? Int(rest[3]) ?? 3 : 3)

    default:
        fail("unknown benchmark \(command)")
    }
} catch {
    fail("\(error)")
}
