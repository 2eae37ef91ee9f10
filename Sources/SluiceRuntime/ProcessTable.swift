#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// What /proc says about processes: start times (to tell a pid from a recycled one), state, process
/// group, environment; and how to end a whole process group.
enum ProcessTable {
    /// One parsed `/proc/<pid>/stat` line.
    struct Stat: Equatable {
        var state: Character
        var processGroup: pid_t
        /// Field 22: clock ticks since boot at which the process started; with the pid it names one process.
        var startTime: UInt64
    }

    /// `/proc/<pid>/stat`, or nil when there is no such process.
    static func stat(_ pid: pid_t) -> Stat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are plain.
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        guard fields.count > 19, let state = fields[0].first, let group = pid_t(fields[2]),
              let start = UInt64(fields[19]) else { return nil }
        return Stat(state: state, processGroup: group, startTime: start)
    }

    /// Whether `pid` is a live (not zombie) process that started at `startTime`.
    static func isAlive(_ pid: pid_t, startTime: UInt64) -> Bool {
        guard let stat = stat(pid) else { return false }
        return stat.startTime == startTime && stat.state != "Z" && stat.state != "X"
    }

    /// Whether the process's environment or command line mentions `marker` (the deployment directory),
    /// so a pid that was recycled by an unrelated process with the same start time is never adopted.
    static func mentions(_ pid: pid_t, _ marker: String) -> Bool {
        for file in ["environ", "cmdline"] {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/\(file)") else { continue }
            let text = String(decoding: data.map { $0 == 0 ? UInt8(ascii: "\n") : $0 }, as: UTF8.self)
            if text.contains(marker) { return true }
        }
        return false
    }

    /// The live (not zombie) processes whose process group is `group`.
    static func liveMembers(ofGroup group: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let stat = stat(pid) else { return false }
            return stat.processGroup == group && stat.state != "Z" && stat.state != "X"
        }
    }

    /// Reaps `pid` if it is an exited child of this process; returns its exit description then.
    /// Nil while it runs or when it is not our child (adopted from an earlier runtime).
    static func reap(_ pid: pid_t) -> ExitStatus? {
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let signal = raw & 0x7f
        return signal == 0 ? .exited((raw >> 8) & 0xff) : .signalled(signal)
    }

    /// Ends the process group led by `leader` (started at `startTime`): SIGTERM, then SIGKILL after
    /// `grace`, and waits (bounded) until no live member is left. Does nothing when the leader is
    /// gone and the group is empty, and never signals a group whose recycled leader is another process.
    static func endGroup(_ leader: pid_t, startTime: UInt64, grace: Duration) async {
        let leaderIsOurs = stat(leader).map { $0.startTime == startTime } ?? false
        // Without a matching leader the group may still hold our JVM (its shell leader died); a
        // group id is only reused once every member is gone, so signalling live members is safe.
        guard leaderIsOurs || !liveMembers(ofGroup: leader).isEmpty else { return }
        _ = reap(leader)
        kill(-leader, SIGTERM)
        let graceDeadline = ContinuousClock.now + grace
        while ContinuousClock.now < graceDeadline, !liveMembers(ofGroup: leader).isEmpty {
            _ = reap(leader)
            try? await Task.sleep(for: .milliseconds(100))
        }
        let killDeadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < killDeadline, !liveMembers(ofGroup: leader).isEmpty {
            kill(-leader, SIGKILL)
            _ = reap(leader)
            try? await Task.sleep(for: .milliseconds(50))
        }
        _ = reap(leader)
    }
}

/// How a process ended.
enum ExitStatus: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)
    /// Adopted processes are not our children, so their status cannot be read.
    case unknown

    var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signalled(let signal): "killed by signal \(signal)"
        case .unknown: "exit status unknown (process adopted from an earlier runtime)"
        }
    }
}
