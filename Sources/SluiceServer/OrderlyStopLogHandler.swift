import Foundation
import Logging
import ServiceLifecycle

/// The log handler of the HTTP server (Hummingbird). When it stops in order (SIGTERM, SIGINT, or
/// its task cancelled), HummingbirdCore's server races its own graceful shutdown: it logs at error
/// level that its listening channel was already closed and that waiting on its child channels was
/// cancelled. Neither is an error of an orderly stop, so once the stop has begun every error line
/// from HummingbirdCore is logged at debug; before the stop they stay errors. Decided by the
/// line's source module and the stop, never by its text.
struct OrderlyStopLogHandler: LogHandler {
    /// The module whose lines are lowered once the stop has begun.
    static let serverCore = "HummingbirdCore"

    var base: any LogHandler
    let stop: ServerStop

    var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        if event.level >= .error, event.source == Self.serverCore, stop.begun {
            guard base.logLevel <= .debug else { return }
            event.level = .debug
        }
        base.log(event: event)
    }
}

/// Whether the HTTP server has begun to stop.
final class ServerStop: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    var begun: Bool { lock.withLock { stopping } }
    func begin() { lock.withLock { stopping = true } }
}

/// Marks the stop as begun when its service group starts a graceful shutdown or is cancelled.
/// Listed after the HTTP server in the group, so it is told first (a group stops its services
/// in reverse order) and the mark is set before the server starts to close.
struct ServerStopMarker: Service {
    let stop: ServerStop

    func run() async throws {
        try? await gracefulShutdown()
        stop.begin()
    }
}
