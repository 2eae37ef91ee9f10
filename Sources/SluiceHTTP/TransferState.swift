import CCurl
import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import SluiceCore
import Synchronization

/// A flag the task's cancellation handler sets and the transfer thread polls.
final class CancellationFlag: Sendable {
    private let cancelled = Atomic(false)

    func cancel() { cancelled.store(true, ordering: .releasing) }
    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
}

/// Everything libcurl's callbacks touch during one attempt. It lives on the transfer thread; only
/// `cancellation` is shared with other threads.
final class TransferState {
    /// Where body bytes go.
    enum Sink {
        case memory
        /// An open file descriptor; bytes are hashed as they are written.
        case file(Int32)
        /// Each chunk of a 2xx body, as it arrives (a stream); `false` from the receiver ends the
        /// transfer. Any other status's body is kept in memory, for the error.
        case stream(@Sendable (Data) -> Bool)
    }

    let limit: Int
    let sink: Sink
    let cancellation: CancellationFlag
    private(set) var body = Data()
    private(set) var received = 0
    private(set) var exceededLimit = false
    private(set) var fileError: String?
    private(set) var headers = HTTPHeaders()
    /// The status of the last status line received (a stream delivers only 2xx bodies).
    private(set) var status = 0
    /// The stream's receiver asked to stop: the transfer ends without an error.
    private(set) var stoppedByReceiver = false
    private var hasher = SHA256()
    /// libcurl writes its detailed error message here (CURLOPT_ERRORBUFFER).
    let errorBuffer: UnsafeMutablePointer<CChar>

    init(limit: Int, sink: Sink, cancellation: CancellationFlag) {
        self.limit = limit
        self.sink = sink
        self.cancellation = cancellation
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit { errorBuffer.deallocate() }

    /// libcurl's message for the last failure, or an empty string.
    var errorMessage: String { String(cString: errorBuffer).trimmingWhitespaceAndNewlines() }

    /// The SHA-256 of the bytes received so far (file sinks only).
    var sha256Hex: String { hasher.finalize().hexString }

    /// Takes a chunk of body; false aborts the transfer (limit exceeded or the file write failed).
    func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard received + bytes.count <= limit else {
            exceededLimit = true
            return false
        }
        received += bytes.count
        switch sink {
        case .memory:
            body.append(contentsOf: bytes)
        case .stream(let deliver):
            guard (200..<300).contains(status) else {
                body.append(contentsOf: bytes)
                return true
            }
            if !deliver(Data(bytes)) {
                stoppedByReceiver = true
                return false
            }
        case .file(let descriptor):
            hasher.update(bufferPointer: bytes)
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    fileError = String(cString: strerror(errno))
                    return false
                }
                offset += written
            }
        }
        return true
    }

    /// Takes one header line. A new status line starts a new header block (after `100 Continue`).
    func receiveHeader(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self).trimmingWhitespaceAndNewlines()
        if text.hasPrefix("HTTP/") {
            headers = HTTPHeaders()
            status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        } else if let colon = text.firstIndex(of: ":") {
            let name = text[..<colon].trimmingWhitespace()
            let value = text[text.index(after: colon)...].trimmingWhitespace()
            if !name.isEmpty { headers.add(name, value) }
        }
    }
}
