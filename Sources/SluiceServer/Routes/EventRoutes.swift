import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import SluiceHTTPServer

/// `GET events` of the status API (mounted under `/api/v1`, behind the tokens): server-sent
/// events, `status` when the status changes, `round` at the end of each round, a heartbeat comment.
struct EventRoutes {
    let feed: StatusFeed

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("events", use: stream)
        return routes
    }

    @Sendable func stream(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let events = feed.events
        guard let subscription = events.subscribe() else {
            throw InsightRoutes.refusal(.serviceUnavailable, "\(events.maxSubscribers) event streams are open, the most this server holds",
                                        hint: "close another stream, or read GET /api/v1/status")
        }
        await feed.ensureProducer()
        let first = StatusEvents.Event(name: "status", data: StatusFeed.line(await feed.document()))
        let body = ResponseBody { writer in
            defer { events.unsubscribe(subscription.id) }
            // Stopping the service ends the stream, so a graceful shutdown does not wait on it.
            try await withGracefulShutdownHandler {
                try await writer.write(ByteBuffer(string: "retry: 5000\n\n" + first.wireFormat))
                for await event in subscription.events {
                    try await writer.write(ByteBuffer(string: event.wireFormat))
                }
            } onGracefulShutdown: {
                events.unsubscribe(subscription.id)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"], body: body)
    }
}
