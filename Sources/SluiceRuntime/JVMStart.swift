#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How the runtime starts Flink's JVMs quickly (docs/runtime.md, "JVM start").
///
/// Flink's `jobmanager.sh`/`taskmanager.sh` start three short-lived JVMs before the real one: two
/// `BashJavaUtils` runs (the flattened configuration, the memory sizes) and `java -XshowSettings`.
/// Each spends most of its life loading and compiling classes it runs once. So:
/// - every JVM of a start runs with the C1 compiler only (`-XX:TieredStopAtLevel=1`, through
///   `JAVA_TOOL_OPTIONS`), except the TaskManager itself, which runs the job's code and keeps the
///   full JIT (`-XX:TieredStopAtLevel=4` on its own command line, which wins over the variable);
/// - with a complete set of class-data archives (`ClassDataArchives`), each JVM maps the classes
///   an earlier JVM of the same Flink distribution loaded instead of loading them again.
///
/// Flink's scripts read `env.java.opts.jobmanager` and `env.java.default-opts.jobmanager` (and the
/// TaskManager's) from the configuration only when `FLINK_ENV_JAVA_OPTS_JM` (`_TM`) is not set, so
/// the spec's values are appended here, after the runtime's: the spec's options win.
enum JVMStart {
    /// The environment of one Flink process start: `base` plus the JVM options above.
    /// `archives` is the complete set to use, or nil; `training` names the archive each JVM kind
    /// writes when it exits (used only by the training run).
    static func environment(role: ProcessRole, plan: FlinkProcessPlan, base: [String: String],
                            archives: [ClassDataArchives.Kind: URL]?,
                            training: [ClassDataArchives.Kind: URL]? = nil) -> [String: String] {
        var environment = base
        // JAVA_TOOL_OPTIONS and Flink's FLINK_ENV_JAVA_OPTS_* are split at whitespace: a path with a
        // space would break the JVM's command line, so such paths are left out (the start goes on without).
        let usable = { (path: String) in !path.contains(where: \.isWhitespace) }
        let archives = archives.flatMap { $0.values.allSatisfy { usable($0.path) } ? $0 : nil }
        let training = training.flatMap { $0.values.allSatisfy { usable($0.path) } ? $0 : nil }
        var tool = ["-XX:TieredStopAtLevel=1"]
        if let helpers = archives?[.helpers] { tool += sharing(helpers) }
        // A JVM that crashes writes hs_err_pid<pid>.log into its working directory, the runtime's: keep it with the logs.
        if let logs = base["FLINK_LOG_DIR"], usable(logs) { tool.append("-XX:ErrorFile=\(logs)/hs_err_pid%p.log") }
        if let existing = base["JAVA_TOOL_OPTIONS"], !existing.isEmpty { tool.append(existing) }
        environment["JAVA_TOOL_OPTIONS"] = tool.joined(separator: " ")

        let kind: ClassDataArchives.Kind = role == .jobManager ? .jobManager : .taskManager
        var own: [String] = role == .taskManager ? ["-XX:TieredStopAtLevel=4"] : []
        if let archive = archives?[kind] { own += sharing(archive) }
        if let target = training?[kind] { own.append("-XX:ArchiveClassesAtExit=\(target.path)") }
        for key in ["env.java.default-opts.\(role.rawValue)", "env.java.opts.\(role.rawValue)"] {
            if let value = plan.flinkConfiguration[key]?.trimmingWhitespace(), !value.isEmpty {
                // The scripts strip one pair of surrounding double quotes from these values; so do we.
                own.append(value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") ? String(value.dropFirst().dropLast()) : value)
            }
        }
        environment[role == .jobManager ? "FLINK_ENV_JAVA_OPTS_JM" : "FLINK_ENV_JAVA_OPTS_TM"] = own.joined(separator: " ")
        return environment
    }

    /// Options that map `archive`; `VerifySharedSpaces` makes the JVM check the archive's checksums
    /// and ignore it (rather than crash) when a byte of it changed on disk.
    static func sharing(_ archive: URL) -> [String] {
        ["-XX:SharedArchiveFile=\(archive.path)", "-XX:+VerifySharedSpaces"]
    }

    /// The `java` the scripts run: `$JAVA_HOME/bin/java`, else the first `java` on `PATH`.
    static func java(environment: [String: String]) -> String? {
        let fileManager = FileManager.default
        if let home = environment["JAVA_HOME"], !home.isEmpty, fileManager.isExecutableFile(atPath: home + "/bin/java") {
            return home + "/bin/java"
        }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/java"
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
