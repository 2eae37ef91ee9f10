import ArgumentParser
import Dispatch
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

/// The second SIGTERM or SIGINT of a stopping service: the round in progress stops at its next
/// safe point (`SyncInterrupt`) instead of finishing.
final class SecondSignal: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    /// Watches SIGTERM and SIGINT from now on; `onSignal` runs for each.
    init(onSignal: @escaping @Sendable (String) -> Void) {
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            // Ignored, so the signal only reaches the source (the server's own handling did the same).
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { onSignal(name) }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() { for source in sources { source.cancel() } }
}
