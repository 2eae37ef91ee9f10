import SluicePolicy

/// `sluice check --output junit`: one test suite per cluster, one test case per policy and
/// object that was checked and broken; Deny is a failure, Warn and Audit are reported as passing
/// cases with system-out, so CI test tabs show them without failing the build.
enum JUnitCheckReport {
    static func render(_ report: CheckReport) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"sluice check\" tests=\"\(report.violations.count + report.clusters.count)\" failures=\"\(report.denials.count)\">\n"
        for cluster in report.clusters {
            let violations = report.violations(on: cluster.name)
            let failures = violations.filter(\.denies).count
            out += "  <testsuite name=\"\(xml(cluster.name))\" tests=\"\(violations.count + 1)\" failures=\"\(failures)\">\n"
            out += "    <testcase classname=\"\(xml(cluster.name))\" name=\"policies\"/>\n"
            for v in violations {
                out += "    <testcase classname=\"\(xml(cluster.name)).\(xml(v.environment))\" name=\"\(xml(v.policy)): \(xml(v.object.description))\" file=\"\(xml(v.objectSource.file))\" line=\"\(v.objectSource.line)\">\n"
                if v.denies {
                    out += "      <failure type=\"\(xml(v.reason ?? "Invalid"))\" message=\"\(xml(v.message))\">\(xml("\(v.objectSource): \(v.message)"))</failure>\n"
                } else {
                    out += "      <system-out>\(xml("\(v.level): \(v.objectSource): \(v.message)"))</system-out>\n"
                }
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        if let s = report.signature {
            out += "  <testsuite name=\"signatures\" tests=\"1\" failures=\"\(s.denies ? 1 : 0)\">\n"
            out += "    <testcase classname=\"signatures\" name=\"\(xml(s.object))\">\n"
            out += s.denies ? "      <failure type=\"\(xml(s.reason ?? "unverified"))\" message=\"\(xml(s.message))\"/>\n"
                : "      <system-out>\(xml("\(s.level): \(s.message)"))</system-out>\n"
            out += "    </testcase>\n  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    static func xml(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                // XML 1.0 has no way to write other control characters.
                if scalar.value < 0x20 { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
