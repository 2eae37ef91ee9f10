#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Class-data sharing archives of one Flink distribution (docs/runtime.md, "JVM start"): what the
/// helper JVMs of Flink's scripts, a JobManager and a TaskManager loaded, written by Java's
/// `-XX:ArchiveClassesAtExit` during a training run and mapped by every later JVM of that kind.
///
/// A broken archive must never stop a start. The JVM ignores an archive whose header does not
/// match (another JDK build, another class path, random bytes) and, with `-XX:+VerifySharedSpaces`,
/// one whose checksums do not, but it crashes on a truncated one (SIGBUS, measured on Java 17). So
/// an archive is published only after a JVM started with it, beside the size it had then; it is
/// used only while that size still matches and only with the other two (one missing leaves all
/// unused); and the supervisor discards the set when a process started with it exits within
/// `suspectWindow` (docs/runtime.md).
struct ClassDataArchives: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case helpers
        case jobManager = "jobmanager"
        case taskManager = "taskmanager"
    }

    /// `<cache>/<flink-dist jar name>-<size>-<mtime>`: a new Flink build gets new archives.
    let directory: URL
    /// The name of the distribution's `lib/flink-dist*.jar`.
    let distributionJar: String

    /// A process started with archives that exits sooner than this after its start is taken as a
    /// sign the archives may be at fault: they are discarded and rebuilt later.
    static let suspectWindow: TimeInterval = 60

    /// The archives for the distribution at `flinkHome` under `cache`; nil when `lib/` holds no
    /// single `flink-dist*.jar` (Flink's scripts refuse to start then anyway).
    init?(cache: URL, flinkHome: URL) {
        let lib = flinkHome.appendingPathComponent("lib").path
        let jars = ((try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? [])
            .filter { $0.hasPrefix("flink-dist") && $0.hasSuffix(".jar") }
        guard jars.count == 1, let jar = jars.first,
              let attributes = try? FileManager.default.attributesOfItem(atPath: "\(lib)/\(jar)"),
              let size = (attributes[.size] as? UInt).flatMap { Int(exactly: $0) },
              let modified = attributes[.modificationDate] as? Date else { return nil }
        distributionJar = jar
        directory = cache.appendingPathComponent("\(jar.dropLast(4))-\(size)-\(Int(modified.timeIntervalSince1970))", isDirectory: true)
    }

    func archive(_ kind: Kind) -> URL { directory.appendingPathComponent("\(kind.rawValue).jsa") }
    private func sizeFile(_ kind: Kind) -> URL { directory.appendingPathComponent("\(kind.rawValue).size") }

    /// Every archive, when all are complete; nil otherwise.
    func usable() -> [Kind: URL]? {
        var result: [Kind: URL] = [:]
        for kind in Kind.allCases {
            guard let text = try? String(contentsOf: sizeFile(kind), encoding: .utf8),
                  let recorded = Int(text.trimmingWhitespaceAndNewlines()), recorded > 0,
                  Self.size(of: archive(kind)) == recorded else { return nil }
            result[kind] = archive(kind)
        }
        return result
    }

    /// Publishes `built` as the archive of `kind`: renamed into place, then its size recorded
    /// (written to a temporary file and renamed, so a reader never sees a partial size).
    func publish(_ built: URL, as kind: Kind) throws {
        guard let size = Self.size(of: built), size > 0 else {
            throw RuntimeError(.startFailed, "the class-data archive \(built.path) is missing or empty")
        }
        try? FileManager.default.removeItem(at: sizeFile(kind))
        guard rename(built.path, archive(kind).path) == 0 else {
            throw RuntimeError(.startFailed, "cannot move \(built.path) into place: \(String(cString: strerror(errno)))")
        }
        let temporary = directory.appendingPathComponent(".\(kind.rawValue).size.\(UUID().uuidString.prefix(8))")
        try String(size).write(to: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary.path, sizeFile(kind).path) == 0 else {
            unlink(temporary.path)
            throw RuntimeError(.startFailed, "cannot record the size of \(archive(kind).path)")
        }
    }

    /// Puts every archive aside: the size records first, so no start picks up a half-removed set.
    func discard() {
        for kind in Kind.allCases { unlink(sizeFile(kind).path) }
        for kind in Kind.allCases { unlink(archive(kind).path) }
    }

    static func size(of file: URL) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
              attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
        return (attributes[.size] as? UInt).flatMap { Int(exactly: $0) }
    }
}
