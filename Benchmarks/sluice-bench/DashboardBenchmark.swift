import Foundation
import SluiceTestSupport

/// The dashboard's first render in headless Chromium against a running `sluice serve`: from the
/// start of navigation to the frame that shows the status (the page's own `sluice-rendered`
/// performance mark), for a fresh tab each round.
enum DashboardBenchmark {
    static func run(base: String, token: String, rounds: Int) async throws {
        guard let chromium = HeadlessChromium.executable else {
            print("dashboard: chromium is not installed (scripts/install-deps.sh installs it); not measured")
            return
        }
        let browser = try HeadlessChromium(executable: chromium)
        defer { browser.close() }
        let literal = String(decoding: try JSONSerialization.data(withJSONObject: token, options: [.fragmentsAllowed]), as: UTF8.self)
        var renders: [Double] = []
        for round in 1...max(1, rounds) {
            let cpuBefore = cpuSeconds(group: browser.pid)
            let page = try await browser.newPage(width: 1366, height: 900)
            try await page.beforeEachDocument("sessionStorage.setItem('sluice.readToken', \(literal))")
            try await page.navigate(base + "/")
            guard try await page.wait(until: "performance.getEntriesByName('sluice-rendered').length > 0", timeout: .seconds(120)) else {
                print("dashboard: the page did not render within 120 s")
                return
            }
            let figures = try await page.evaluate("""
                JSON.stringify({rendered: performance.getEntriesByName('sluice-rendered')[0].startTime,
                  status: (performance.getEntriesByType('resource').find(e => e.name.endsWith('/api/v1/status')) || {}).responseEnd || 0,
                  objects: state.model.entries.length, clusters: state.model.clusters.length, jobs: state.model.jobs.length,
                  rows: document.querySelectorAll('#jobs tbody tr').length, cells: document.querySelectorAll('#matrix button.cell').length})
                """) ?? "{}"
            let values = (try JSONSerialization.jsonObject(with: Data(figures.utf8)) as? [String: Any]) ?? [:]
            let rendered = (values["rendered"] as? Double) ?? 0, status = (values["status"] as? Double) ?? 0
            renders.append(rendered)
            print(String(format: "dashboard round %d: first render %.0f ms after navigation (status API answered at %.0f ms); %@ objects = %@ jobs on %@ clusters, %@ matrix cells, %@ job rows shown; browser CPU %.2f s",
                         round, rendered, status, "\(values["objects"] ?? "?")", "\(values["jobs"] ?? "?")", "\(values["clusters"] ?? "?")",
                         "\(values["cells"] ?? "?")", "\(values["rows"] ?? "?")", cpuSeconds(group: browser.pid) - cpuBefore))
            _ = try? await page.send("Page.close")
        }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print(String(format: "dashboard first render: worst %.0f ms, best %.0f ms of %d (goal: < 1000 ms); load average %@", renders.max() ?? 0, renders.min() ?? 0, renders.count, load))
    }

    /// User + system CPU seconds of every process in the browser's process group (renderers included).
    static func cpuSeconds(group: pid_t) -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var total = 0.0
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12).
            guard fields.count > 12, Int32(fields[2]) == group, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            total += (user + system) / ticks
        }
        return total
    }
}
