import ArgumentParser
import Foundation
import Logging
import SluiceCore
import SluiceServer
import SluiceSync

extension LogFormat: ExpressibleByArgument {}

/// `--log-format` and `--log-level` of `sluice serve`.
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Log lines as text (default) or json (one JSON object per line).", valueName: "format"))
    var logFormat: LogFormat = .text

    @Option(name: .long, help: ArgumentHelp(
        "Least severe level logged: trace, debug, info (default), notice, warning, error, critical.", valueName: "level"),
            transform: LogOptions.level)
    var logLevel: Logger.Level = .info

    static func level(_ text: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("--log-level \(text) is not a level; use one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return level
    }

    /// The service's logger; every value in `secrets` is blanked from its lines.
    func logger(secrets: SecretList) -> Logger {
        let format = logFormat, level = logLevel
        // Every library's lines (the HTTP server's too) go through the same handler and format.
        LoggingSystem.bootstrap { _ in ServiceLogHandler(format: format, level: level, secrets: secrets) }
        return Logger(label: "sluice.serve")
    }
}

/// The last SIGTERM or SIGINT received since `SecondSignal` took the signals over (0: none).
/// Written by the signal handler, which may do nothing more than that.
nonisolated(unsafe) private var lastSignal: Int32 = 0

private func recordSignal(_ number: Int32) { lastSignal = number }

/// The second SIGTERM or SIGINT of a stopping service: the round in progress stops at its next
/// safe point (`SyncInterrupt`) instead of finishing.
///
/// A plain handler sets a flag that a task reads every 100 ms: the HTTP server's signal handling
/// (dispatch sources over a signalfd) is gone by then and left both signals ignored.
final class SecondSignal: Sendable {
    private let watcher: Task<Void, Never>

    /// Takes SIGTERM and SIGINT over from now on; `onSignal` runs once, for the first that comes.
    init(onSignal: @escaping @Sendable (String) -> Void) {
        lastSignal = 0
        signal(SIGTERM, recordSignal)
        signal(SIGINT, recordSignal)
        watcher = Task.detached {
            while !Task.isCancelled {
                let number = lastSignal
                if number != 0 {
                    onSignal(number == SIGINT ? "SIGINT" : "SIGTERM")
                    return
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func cancel() { watcher.cancel() }
}
