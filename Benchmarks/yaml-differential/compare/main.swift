// Times two builds of the YAML parser in one process, beside libyaml's raw events (the floor of
// `make bench`), for scripts/yaml-differential.sh:
//   compare <dir> [iterations]   (built with ../../sluice-bench/LibyamlEvents.swift)
// Each iteration parses every .yaml file under <dir> once with each of the three, in an order that
// rotates, so no side always runs after the same other. Ratios are taken within an iteration (tens
// of milliseconds apart): this host's speed swings for seconds at a time, and runs in separate
// processes could not tell a 2 % change from the swings. YAMLBase and YAMLHead are the parser's
// sources at two revisions, built as two modules.
import Foundation
import YAMLBase
import YAMLHead

func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write("usage: compare <dir> [iterations]\n".data(using: .utf8)!)
    exit(2)
}
let directory = arguments[1]
let iterations = max(6, arguments.count > 2 ? Int(arguments[2]) ?? 120 : 120)
var names: [String] = []
if let walk = FileManager.default.enumerator(atPath: directory) {
    for case let path as String in walk where path.hasSuffix(".yaml") { names.append(path) }
}
names.sort()
let contents = names.map { [UInt8](FileManager.default.contents(atPath: directory + "/" + $0)!) }

/// The floor: `libyamlEventCount`, compiled in from Benchmarks/sluice-bench/LibyamlEvents.swift.
func floorRound() -> Int {
    guard let events = libyamlEventCount(contents) else { fatalError("libyaml refused a file under \(directory)") }
    return events
}

@inline(never) func baseRound() -> Int {
    var documents = 0
    for (name, bytes) in zip(names, contents) { documents += try! YAMLBase.YAML.parseDocuments(bytes, file: name).count }
    return documents
}

@inline(never) func headRound() -> Int {
    var documents = 0
    for (name, bytes) in zip(names, contents) { documents += try! YAMLHead.YAML.parseDocuments(bytes, file: name).count }
    return documents
}

let sides: [() -> Int] = [floorRound, baseRound, headRound]
for side in sides { _ = side() }  // warm-up: files paged in, pools and interners filled
let orders = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 2, 1], [2, 1, 0], [1, 0, 2]]
var seconds: [[Double]] = [[], [], []]
for iteration in 0..<iterations {
    for side in orders[iteration % orders.count] {
        let start = threadCPUSeconds()
        _ = sides[side]()
        seconds[side].append(threadCPUSeconds() - start)
    }
}

func quartiles(_ values: [Double]) -> (Double, Double, Double) {
    let sorted = values.sorted()
    return (sorted[sorted.count / 4], sorted[sorted.count / 2], sorted[3 * sorted.count / 4])
}
func ratios(_ a: Int, _ b: Int) -> [Double] { zip(seconds[a], seconds[b]).map { $0 / $1 } }
for (label, a, b) in [("base / floor", 1, 0), ("head / floor", 2, 0), ("head / base ", 2, 1)] {
    let (low, median, high) = quartiles(ratios(a, b))
    print(label + String(format: ": median %.3f (quartiles %.3f-%.3f) over %d iterations", median, low, high, iterations))
}
print(String(format: "best round: floor %.4f s, base %.4f s, head %.4f s CPU", seconds[0].min()!, seconds[1].min()!, seconds[2].min()!))
