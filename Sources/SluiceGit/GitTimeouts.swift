import Foundation
import SluiceCore

/// How long a fetch may wait on the network. A server that accepts the connection and then never
/// answers must not hold `validate` or a round of `serve` forever.
public struct GitTimeouts: Sendable, Hashable {
    /// Opening the TCP connection (per address the host name resolves to).
    public var connect: Duration
    /// The longest wait for the next bytes from (or room to send to) the server once connected.
    public var stall: Duration
    /// The whole fetch, from the first connection to the last byte, across retries.
    public var fetch: Duration

    public static let defaultConnect: Duration = .seconds(15)
    public static let defaultStall: Duration = .seconds(60)
    public static let defaultFetch: Duration = .seconds(300)

    public init(connect: Duration = GitTimeouts.defaultConnect, stall: Duration = GitTimeouts.defaultStall,
                fetch: Duration = GitTimeouts.defaultFetch) {
        self.connect = connect
        self.stall = stall
        self.fetch = fetch
    }
}
