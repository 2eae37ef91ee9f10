import Foundation
import NIOCore
import NIOHTTPTypes
import SluiceCore

/// Bounds on the connections `sluice serve` holds, so slow or idle clients cannot exhaust it.
public struct ConnectionLimits: Sendable {
    /// Connections open at once; more are closed as soon as they are accepted.
    public var maxConnections: Int
    /// From accepting a connection (or finishing a response) to the complete request head.
    public var headerTimeout: Duration
    /// From the request head to the end of its body.
    public var bodyTimeout: Duration
    /// An open connection with no request in progress.
    public var idleTimeout: Duration
    /// A response whose writes cannot go out (the client reads nothing, e.g. a stalled event stream).
    public var writeStallTimeout: Duration = .seconds(30)

    public static let defaultMaxConnections = 256

    public init(maxConnections: Int = ConnectionLimits.defaultMaxConnections, headerTimeout: Duration = .seconds(10),
                bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60)) {
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
    }
}

/// One per connection, after the HTTP decoder: counts the connection against the cap and closes it
/// when a request head (or body) does not arrive in time. A slow-loris client that sends a byte
/// every few seconds keeps an idle timer from firing, but not this one.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The count of open connections, shared by every connection's guard.
    final class Shared: @unchecked Sendable {
        let limits: ConnectionLimits
        private let lock = NSLock()
        private var open = 0

        init(limits: ConnectionLimits) { self.limits = limits }

        func acquire() -> Bool {
            lock.withLock {
                guard open < limits.maxConnections else { return false }
                open += 1
                return true
            }
        }

        func release() { lock.withLock { open -= 1 } }

        var openConnections: Int { lock.withLock { open } }
    }

    private let shared: Shared
    private var counted = false
    private var timer: Scheduled<Void>?
    private var stallTimer: Scheduled<Void>?
    private var reading = false

    init(shared: Shared) { self.shared = shared }

    func handlerAdded(context: ChannelHandlerContext) {
        guard shared.acquire() else {
            context.close(promise: nil)
            return
        }
        counted = true
        arm(context, shared.limits.headerTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) { finish() }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private func finish() {
        timer?.cancel()
        timer = nil
        stallTimer?.cancel()
        stallTimer = nil
        if counted {
            counted = false
            shared.release()
        }
    }

    private func arm(_ context: ChannelHandlerContext, _ limit: Duration) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(limit.wholeNanoseconds)) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            reading = true
            arm(context, shared.limits.bodyTimeout)
        case .end:
            reading = false
            timer?.cancel()
            timer = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    /// A client that stops reading leaves its connection unwritable: closed after `writeStallTimeout`,
    /// so a stalled response (an event stream above all) holds no buffer and no connection for long.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        stallTimer?.cancel()
        stallTimer = nil
        if !context.channel.isWritable {
            let channel = context.channel
            stallTimer = context.eventLoop.scheduleTask(in: .nanoseconds(shared.limits.writeStallTimeout.wholeNanoseconds)) { channel.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // After a response, a kept-alive connection has `headerTimeout` for its next request head.
        if case .end = unwrapOutboundIn(data), !reading { arm(context, shared.limits.headerTimeout) }
        context.write(data, promise: promise)
    }
}
