import Dispatch
import Foundation

/// Progress of long CLI work on standard error, with the time elapsed: only when standard error
/// is a terminal (a person watches it); nothing at all otherwise, so logs and pipes stay clean.
///
/// Lines are printed as `[  12.3s] text`. A status (`waiting for …`) is redrawn in place every
/// second with its own elapsed time, and cleared before the next line.
final class TerminalProgress: @unchecked Sendable {
    /// Whether standard error is a terminal.
    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    private let lock = NSLock()
    private let started = ContinuousClock.now
    private var status: (text: String, since: ContinuousClock.Instant)?
    private var timer: DispatchSourceTimer?
    let enabled: Bool

    /// With `enabled` false (not a terminal, or `--quiet`), every call does nothing.
    init(enabled: Bool = TerminalProgress.isTerminal) {
        self.enabled = enabled
        guard enabled else { return }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in self?.redraw() }
        timer.resume()
        self.timer = timer
    }

    deinit { timer?.cancel() }

    /// Prints one line (the status, if any, is cleared first and redrawn on the next tick).
    func line(_ text: String) {
        guard enabled else { return }
        lock.withLock {
            var out = status == nil ? "" : "\r\u{1B}[K"
            out += "[\(Self.format(ContinuousClock.now - started))] \(text)\n"
            FileHandle.standardError.write(Data(out.utf8))
        }
    }

    /// Shows `text` as the current status (from the next tick, at most a second away) until the
    /// next status or `clear()`.
    func show(_ text: String) {
        guard enabled else { return }
        lock.withLock {
            if status?.text != text { status = (text, ContinuousClock.now) }
        }
    }

    /// Removes the status line; call before printing the final report.
    func clear() {
        guard enabled else { return }
        timer?.cancel()
        lock.withLock {
            if status != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            status = nil
        }
    }

    private func redraw() {
        lock.withLock {
            guard let status else { return }
            let now = ContinuousClock.now
            let text = "\r\u{1B}[K[\(Self.format(now - started))] \(status.text) (\(Self.format(now - status.since)))"
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds < 60 ? String(format: "%5.1fs", seconds) : String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
    }
}
