// A stand-alone driver for the YAML parser's sources (compiled with them by
// scripts/yaml-differential.sh):
//   dump <dir>          every file of <dir> parsed under three sets of limits, each tree written with
//                       every node's and key's location, or the error's text and location
//   bench <dir> [n]     CPU time of parsing every .yaml file under <dir>, best of n rounds
import Foundation
func cpuNow() -> Double { var ts = timespec(); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }
func dump(_ v: Value, _ out: inout String) {
    let l = v.nodeLocation
    out += "@\(l.file):\(l.line):\(l.column)"
    switch v.kind {
    case .null: out += "~"
    case .bool(let b): out += "b\(b)"
    case .int(let i): out += "i\(i)"
    case .double(let d): out += "d\(d.bitPattern)"
    case .string(let s): out += "s\(s.utf8.count):\(s)"
    case .list(let xs): out += "[\(xs.count)"; for x in xs { dump(x, &out); out += "," }; out += "]"
    case .map(let m):
        out += "{\(m.count)"
        for e in m.entries { let k = e.keyNodeLocation; out += "k\(e.key.utf8.count):\(e.key)@\(k.file):\(k.line):\(k.column)="; dump(e.value, &out); out += "," }
        out += "}"
    }
}
let args = CommandLine.arguments
if args[1] == "bench" {
    let dir = args[2]; let rounds = Int(args[3]) ?? 10
    let fm = FileManager.default
    var files: [String] = []
    if let en = fm.enumerator(atPath: dir) { for case let p as String in en where p.hasSuffix(".yaml") { files.append(p) } }
    files.sort()
    let contents = files.map { [UInt8](fm.contents(atPath: dir + "/" + $0)!) }
    var best = Double.infinity; var docs = 0
    for _ in 0..<rounds {
        docs = 0
        let c = cpuNow()
        for (f, b) in zip(files, contents) { docs += try! YAML.parseDocuments(b, file: f).count }
        best = min(best, cpuNow() - c)
    }
    print(String(format: "sa: %d files %d documents, best %.4f s CPU", files.count, docs, best))
} else if args[1] == "dump" {
    // dump <dir>: every file in dir, default limits and tight limits
    let dir = args[2]
    let fm = FileManager.default
    let names = try! fm.contentsOfDirectory(atPath: dir).sorted()
    let tight = YAMLLimits(maxBytes: 4000, maxDepth: 6, maxNodes: 300, maxAliases: 5)
    var out = ""
    for n in names {
        let bytes = [UInt8](fm.contents(atPath: dir + "/" + n)!)
        for (li, limits) in [YAMLLimits.default, tight, YAMLLimits(maxBytes: 700, maxDepth: 4, maxNodes: 80, maxAliases: 2)].enumerated() {
            out += "== \(n) \(li)\n"
            do {
                let docs = try YAML.parseDocuments(bytes, file: n, limits: limits)
                for d in docs { dump(d, &out); out += "\n" }
            } catch let e as YAMLError { out += "ERR \(e.description) @\(String(describing: e.location))\n" }
            catch { out += "OTHER \(error)\n" }
        }
    }
    FileHandle.standardOutput.write(out.data(using: .utf8)!)
}
