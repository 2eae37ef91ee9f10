import Foundation
import Hummingbird
import SluiceHTTPServer
import SluiceSpec
import SluiceStatusClient
import SluiceSync
import SluiceYAML

/// `GET rounds` and `diff` of the status API (mounted under `/api/v1`, behind the tokens).
struct InsightRoutes {
    let feed: StatusFeed

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get("rounds", use: rounds)
        routes.get("diff", use: diff)
        return routes
    }

    @Sendable func rounds(_ request: Request, context: BasicRequestContext) async -> JSONAnswer<RoundsDocument> {
        let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? RoundHistory.defaultCapacity
        return JSONAnswer(RoundsDocument(rounds: await feed.rounds.newest(max(1, min(limit, RoundHistory.defaultCapacity)))), style: .pretty)
    }

    /// One object, desired against live, as the last plan saw it; the planner's own field changes,
    /// each with the operator's change class for Flink jobs.
    @Sendable func diff(_ request: Request, context: BasicRequestContext) async throws -> JSONAnswer<DiffDocument> {
        guard let clusterName = request.uri.queryParameters.get("cluster"), let query = request.uri.queryParameters.get("object") else {
            throw Self.refusal(.badRequest, "name the cluster and the object: /api/v1/diff?cluster=<name>&object=<identity, namespace/name or name>")
        }
        let round = await feed.loop.lastRound
        guard let cluster = round?.plan?.clusters.first(where: { $0.cluster.name == clusterName }) else {
            throw Self.refusal(.notFound, "no cluster \(clusterName) in the last plan", hint: "GET /api/v1/status lists the clusters")
        }
        let action: PlannedAction
        switch ObjectQuery.find(query, in: cluster.actions, identity: \.identity) {
        case .found(let found): action = found
        case .none: throw Self.refusal(.notFound, "no object \(query) on cluster \(clusterName) in the last plan", hint: "use an object of GET /api/v1/status")
        case .ambiguous(let all): throw Self.refusal(.conflict, "\(query) names several objects on \(clusterName): \(all.joined(separator: "; "))", hint: "name it by its full identity")
        }
        return JSONAnswer(Self.document(action, in: cluster, plannedAt: round?.finished), style: .pretty)
    }

    static func document(_ action: PlannedAction, in cluster: ClusterPlan, plannedAt: Date?) -> DiffDocument {
        let classify = classifier(for: action, in: cluster)
        var fields = action.changes.map { field($0, changeClass: classify($0), ignored: false) }
            + action.ignored.map { field($0.change, changeClass: classify($0.change), ignored: true) }
        // A Secret's values never leave the server; which keys changed still shows.
        let secret = action.identity.group.isEmpty && action.identity.kind == "Secret"
        if secret {
            fields = fields.map { var field = $0; field.live = field.live.map { _ in "\"<redacted>\"" }; field.desired = field.desired.map { _ in "\"<redacted>\"" }; return field }
            return DiffDocument(cluster: cluster.cluster.name, object: action.identity.description, action: action.kind.rawValue, reason: action.reason,
                                changeClass: nil, desiredRevision: action.desired?.revision, liveRevision: action.live?.revision, plannedAt: plannedAt,
                                fields: fields, desired: nil, live: nil)
        }
        return DiffDocument(cluster: cluster.cluster.name, object: action.identity.description, action: action.kind.rawValue, reason: action.reason,
                            changeClass: action.isChange ? action.changeClass?.description : nil, desiredRevision: action.desired?.revision,
                            liveRevision: action.live?.revision, plannedAt: plannedAt, fields: fields,
                            desired: action.desired.map { JSON.encode($0.value.withoutLocations, sortedKeys: true) },
                            live: action.live.map { JSON.encode($0.value.withoutLocations, sortedKeys: true) })
    }

    static func field(_ change: FieldChange, changeClass: String?, ignored: Bool) -> DiffField {
        DiffField(path: change.path, live: change.old.map { JSON.encode($0, sortedKeys: true) }, desired: change.new.map { JSON.encode($0, sortedKeys: true) },
                  changeClass: changeClass, manager: change.manager, ignored: ignored)
    }

    /// The operator's classification for the Flink kinds it classifies (FlinkDeployment,
    /// FlinkSessionJob), in the object's deployment mode; nothing for other kinds.
    static func classifier(for action: PlannedAction, in cluster: ClusterPlan) -> (FieldChange) -> String? {
        let identity = action.identity
        guard identity.group == KnownKinds.flinkGroup, identity.kind == "FlinkDeployment" || identity.kind == "FlinkSessionJob",
              let object = action.desired?.value ?? action.live?.value else { return { _ in nil } }
        var sessionClusters: [String: Value] = [:]
        for other in cluster.actions where other.identity.kind == "FlinkDeployment" {
            if let value = other.desired?.value ?? other.live?.value { sessionClusters[other.identity.name] = value }
        }
        let mode = FlinkDeploymentMode.of(object, sessionClusters: { sessionClusters[$0] })
        return { FlinkChangeClassifier.classify($0, mode: mode).description }
    }

    static func refusal(_ status: HTTPResponse.Status, _ message: String, hint: String? = nil) -> Refusal {
        Refusal.json(APIError(error: message, hint: hint), status: status, style: .pretty)
    }
}
