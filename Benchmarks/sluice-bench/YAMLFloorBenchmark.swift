import SluiceSpec
import SluiceYAML

/// Sluice's YAML parse against libyaml's raw events (the floor), round by round in one process.
///
/// `make bench` also runs the floor as the C program `Benchmarks/yaml-floor` in pairs of separate
/// runs, but this host's speed swings for seconds at a time: a pair's ratio ranged from 0.7 to 2.4
/// within one run of the section, and the median of twelve pairs from 1.23 to 1.35 over ten runs.
/// Here each iteration parses every file once with each side, tens of milliseconds apart, in an
/// order that alternates; the median of many such ratios moves by about 0.02 from run to run.
/// The floor's loop (`libyamlEventCount`) is the C program's: the same libyaml calls on the same
/// bytes, nothing kept.
enum YAMLFloorBenchmark {
    static func run(directory: String, iterations: Int) throws {
        let tree = DirectoryTree(path: directory)
        let files = try tree.files(under: "").filter { $0.hasSuffix(".yaml") }
        let contents = try files.map { try tree.read($0) }
        let sluiceRound = {
            var documents = 0
            for (file, bytes) in zip(files, contents) { documents += try YAML.parseDocuments(bytes, file: file).count }
            return documents
        }
        let floorRound = {
            guard let events = libyamlEventCount(contents) else { fail("libyaml refused a file under \(directory)") }
            return events
        }
        // Warm-up: the first round of each pays for page faults and fills the parser's pools.
        _ = try sluiceRound()
        _ = floorRound()
        var sluice: [Double] = []
        var floor: [Double] = []
        for iteration in 0..<iterations {
            let sluiceFirst = iteration % 2 == 0
            if !sluiceFirst { floor.append(cpuSeconds(floorRound)) }
            sluice.append(try cpuSeconds(sluiceRound))
            if sluiceFirst { floor.append(cpuSeconds(floorRound)) }
        }
        let ratios = zip(sluice, floor).map { $0 / $1 }.sorted()
        func quantile(_ q: Double) -> Double { ratios[Int(Double(ratios.count - 1) * q)] }
        print(String(
            format: "yaml-vs-floor: %d files, %d rounds of each in one process: Sluice = %.3fx the floor (median of the rounds' ratios; quartiles %.3f-%.3f); best round: Sluice %.4f s, floor %.4f s CPU",
            files.count, iterations, quantile(0.5), quantile(0.25), quantile(0.75), sluice.min() ?? 0, floor.min() ?? 0))
    }

    private static func cpuSeconds(_ round: () throws -> Int) rethrows -> Double {
        let start = threadCPUSeconds()
        _ = try round()
        return threadCPUSeconds() - start
    }
}
