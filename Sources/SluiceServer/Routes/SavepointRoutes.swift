import Foundation
import Hummingbird
import NIOCore
import SluiceCore
import SluiceHTTPServer
import SluiceSpec
import SluiceStatusClient
import SluiceSync

/// `POST savepoint` of the status API (mounted under `/api/v1`, operator token only): a savepoint
/// of one running job now, through its cluster's driver.
struct SavepointRoutes {
    let feed: StatusFeed

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post("savepoint", use: savepoint)
        return routes
    }

    /// A savepoint request body is two names.
    static let maxBody = 4096

    @Sendable func savepoint(_ request: Request, context: BasicRequestContext) async throws -> JSONAnswer<SavepointAnswer> {
        let bytes = try await request.body.collect(upTo: Self.maxBody)
        guard let body = try? JSONDecoder().decode(SavepointRequest.self, from: Data(bytes.readableBytesView)) else {
            throw InsightRoutes.refusal(.badRequest, #"the body must be {"cluster": "<name>", "job": "<name, namespace/name or identity>"}"#)
        }
        let loop = feed.loop
        guard let cluster = await loop.lastRound?.plan?.clusters.first(where: { $0.cluster.name == body.cluster })?.cluster else {
            throw InsightRoutes.refusal(.notFound, "no cluster \(body.cluster) in the last plan", hint: "GET /api/v1/status lists the clusters")
        }
        let pipeline = loop.pipeline
        if cluster.driver == .runtime, cluster.runtime?.url == nil, pipeline.runtimes == nil {
            throw InsightRoutes.refusal(.unprocessableContent, "cluster \(cluster.name) has no runtime in this service")
        }
        let outcome: (LiveObject, ActionOutcome)?
        do {
            try SavepointRefusal.check(cluster, job: body.job)
            outcome = try await loop.operations.action("savepoint \(cluster.name)") {
                let journal = try Journal(directory: pipeline.stateDirectory)
                let driver = try DriverFactory(stateDirectory: pipeline.stateDirectory, runtimes: pipeline.runtimes).driver(for: cluster, journal: journal)
                let live = try await driver.liveState(desired: [])
                let object: LiveObject
                switch ObjectQuery.find(body.job, in: live, identity: \.identity) {
                case .found(let found): object = found
                case .none:
                    throw InsightRoutes.refusal(.notFound, "no job \(body.job) on cluster \(cluster.name)", hint: "use an object of GET /api/v1/status")
                case .ambiguous(let all):
                    throw InsightRoutes.refusal(.conflict, "\(body.job) names several objects on \(cluster.name): \(all.joined(separator: "; "))", hint: "name it by its full identity")
                }
                guard object.health?.status == .healthy else {
                    throw InsightRoutes.refusal(.unprocessableContent, "\(object.identity) on \(cluster.name) has no running job to take a savepoint of (\(object.health?.description ?? "health unknown"))")
                }
                return (object, try await driver.takeSavepoint(of: object))
            }
        } catch let refusal as Refusal {
            throw refusal
        } catch let refusal as SavepointRefusal {
            throw InsightRoutes.refusal(.unprocessableContent, refusal.message, hint: refusal.hint)
        } catch {
            let failure = error as? any SluiceError
            throw InsightRoutes.refusal(.badGateway, failure?.message ?? "\(error)", hint: failure?.hint)
        }
        guard let outcome else {
            throw InsightRoutes.refusal(.conflict, "a round is syncing; the savepoint was not taken", hint: "try again when the round has finished (GET /api/v1/status)")
        }
        let (object, result) = outcome
        guard result.succeeded else {
            throw InsightRoutes.refusal(.badGateway, result.message)
        }
        // The new savepoint shows in the status at once.
        let feed = self.feed
        Task { await feed.board.refresh(); await feed.publishIfChanged() }
        return JSONAnswer(SavepointAnswer(cluster: cluster.name, object: object.identity.description,
                                          savepointPath: result.savepointPath, message: result.message), style: .pretty)
    }
}
