import SluicePolicy
import SluiceSync
import SluiceYAML

/// `sluice check --output json`: the whole report as one JSON document.
enum JSONCheckReport {
    static func render(_ report: CheckReport) -> String {
        let clusters: [Value] = report.clusters.map { cluster in
            [
                "name": .string(cluster.name), "tier": .string(cluster.tier.rawValue), "driver": .string(cluster.driver.rawValue),
                "changes": .list(report.changes(on: cluster.name).map(change)),
            ]
        }
        var document: Value = [
            "base": .string(report.base), "head": .string(report.head),
            "summary": [
                "changes": .int(report.changes.count), "denied": .int(report.denials.count),
                "warnings": .int(report.warnings.count), "violations": .int(report.violations.count),
            ],
            "clusters": .list(clusters),
            "violations": .list(report.violations.map(violation)),
        ]
        if let s = report.signature, var map = document.mapValue {
            var m = Mapping()
            m["object"] = .string(s.object)
            m["revision"] = .string(s.revision)
            m["verified"] = .bool(s.verified)
            m["required"] = .bool(s.required)
            m["level"] = .string(s.level)
            if let reason = s.reason { m["reason"] = .string(reason) }
            m["message"] = .string(s.message)
            if let signer = s.signer { m["signer"] = .string(signer) }
            if let fingerprint = s.fingerprint { m["fingerprint"] = .string(fingerprint) }
            map["signature"] = .map(m)
            document = .map(map)
        }
        return JSON.encode(document, pretty: true) + "\n"
    }

    static func change(_ c: ObjectChange) -> Value {
        var m = Mapping()
        m["kind"] = .string(c.kind.rawValue)
        m["object"] = .string(c.identity.description)
        m["environment"] = .string(c.environment)
        m["source"] = .string("\(c.source.source.file):\(c.source.source.line)")
        if let cls = c.changeClass { m["changeClass"] = .string(cls.description) }
        if let change = c.blueGreenChange { m["blueGreenChange"] = .string(change.description) }
        if c.kind == .changed {
            m["fields"] = .list(c.changes.map { f in
                var fm = Mapping()
                fm["path"] = .string(f.path)
                fm["old"] = f.old ?? .null
                fm["new"] = f.new ?? .null
                return .map(fm)
            })
            m["ignored"] = .list(c.ignored.map { ignored in
                var fm = Mapping()
                fm["path"] = .string(ignored.change.path)
                fm["old"] = ignored.change.old ?? .null
                fm["new"] = ignored.change.new ?? .null
                fm["reason"] = .string(ignored.reason)
                return .map(fm)
            })
        }
        if !c.ignoredByManagers.isEmpty { m["ignoredByManagers"] = .list(c.ignoredByManagers.map(Value.string)) }
        return .map(m)
    }

    static func violation(_ v: Violation) -> Value {
        var m = Mapping()
        m["policy"] = .string(v.policy)
        m["binding"] = .string(v.binding)
        m["actions"] = .list(v.actions.map { .string($0.rawValue) })
        m["message"] = .string(v.message)
        if let reason = v.reason { m["reason"] = .string(reason) }
        m["cluster"] = .string(v.cluster)
        m["environment"] = .string(v.environment)
        m["object"] = .string(v.object.description)
        m["file"] = .string(v.objectSource.file)
        m["line"] = .int(v.objectSource.line)
        m["column"] = .int(v.objectSource.column)
        if let p = v.policySource { m["policySource"] = .string(p.description) }
        return .map(m)
    }
}
