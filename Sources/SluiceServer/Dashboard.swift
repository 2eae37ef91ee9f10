/// The dashboard: one page that reads the status API and refreshes itself. The API token (read
/// role) is taken from the URL fragment (`/#token=...`) or asked for once, and kept in the
/// browser's session storage, never sent anywhere but this server.
enum Dashboard {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>Sluice</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2430; }
      h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
      #summary { color: #555; margin-bottom: 1rem; }
      table { border-collapse: collapse; margin-bottom: 1.2rem; }
      th, td { border: 1px solid #d5d9e0; padding: .35rem .6rem; text-align: left; vertical-align: top; }
      th { background: #f3f5f8; }
      .synced, .healthy { color: #176b2c; } .out-of-sync, .progressing, .drifted { color: #8a5a00; }
      .error, .failed, .degraded, .held, .missing { color: #a31515; font-weight: 600; }
      details { margin: .2rem 0; } pre { margin: .2rem 0; white-space: pre-wrap; }
    </style>
    </head>
    <body>
    <h1>Sluice</h1>
    <div id="summary">loading…</div>
    <div id="unverified" class="error"></div>
    <h2>Environments × clusters</h2>
    <table id="matrix"><tbody></tbody></table>
    <h2>Objects</h2>
    <table id="objects"><thead><tr><th>cluster</th><th>object</th><th>sync</th><th>health</th><th>last operation</th><th>diff</th></tr></thead><tbody></tbody></table>
    <h2>History</h2>
    <table id="history"><thead><tr><th>time</th><th>cluster</th><th>object</th><th>step</th><th>result</th></tr></thead><tbody></tbody></table>
    <script>
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.get("token")) { sessionStorage.setItem("sluice-token", params.get("token")); history.replaceState(null, "", "/"); }
    let token = sessionStorage.getItem("sluice-token");
    if (!token) { token = prompt("Sluice API token (read role)") || ""; sessionStorage.setItem("sluice-token", token); }
    const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
    async function get(path) {
      const r = await fetch(path, {headers: {Authorization: "Bearer " + token}});
      if (!r.ok) throw new Error(path + ": HTTP " + r.status);
      return r.json();
    }
    function render(status, history) {
      document.getElementById("summary").textContent =
        `revision ${(status.revision || "none").slice(0, 12)} · last good ${(status.lastGoodRevision || "none").slice(0, 12)}` +
        (status.pinnedRevision ? ` · pinned to ${status.pinnedRevision}` : "") +
        ` · Git ${status.gitReachable === false ? "unreachable" : "reachable"} · last round ${status.lastRound || "never"} (${status.lastRoundReason || ""})`;
      document.getElementById("unverified").textContent = status.unverified
        ? `unverified: ${status.unverified} (kept ${(status.lastGoodRevision || "nothing").slice(0, 12)})` : "";
      const envs = [...new Set(status.clusters.flatMap(c => c.objects.map(o => o.environment).filter(Boolean)))].sort();
      const matrix = document.querySelector("#matrix tbody");
      matrix.innerHTML = "<tr><th>environment \\ cluster</th>" + status.clusters.map(c =>
        `<th>${esc(c.name)}<br><small>${esc(c.driver)}, ${esc(c.tier)} · ${esc((c.revision || "").slice(0, 12))}</small></th>`).join("") + "</tr>" +
        envs.map(env => `<tr data-environment="${esc(env)}"><th>${esc(env)}</th>` + status.clusters.map(c => {
          const objects = c.objects.filter(o => o.environment === env);
          if (!objects.length) return "<td>–</td>";
          const bad = objects.filter(o => o.health && o.health !== "healthy" && o.health !== "suspended");
          const health = bad.length ? bad[0].health : "healthy";
          return `<td class="cell" data-cluster="${esc(c.name)}"><span class="${esc(c.status)}">${esc(c.status)}</span> · <span class="${esc(health)}">${esc(health)}</span><br><small>${objects.length} objects</small></td>`;
        }).join("") + "</tr>").join("");
      const objects = document.querySelector("#objects tbody");
      objects.innerHTML = status.clusters.flatMap(c => c.objects.map(o => `<tr class="object">
        <td>${esc(c.name)}</td><td>${esc(o.object)}</td><td class="${esc(o.sync)}">${esc(o.sync)}<br><small>${esc(o.action)}: ${esc(o.reason)}</small></td>
        <td class="${esc(o.health)}">${esc(o.health || "unknown")}<br><small>${esc(o.healthReason)}</small></td>
        <td>${esc(o.lastOperation || "")}</td>
        <td>${o.changes.length ? `<details><summary>${o.changes.length} fields</summary><pre>${esc(o.changes.join("\n"))}</pre></details>` : ""}</td></tr>`)).join("") +
        status.clusters.filter(c => c.status === "error").map(c => `<tr class="object"><td>${esc(c.name)}</td><td colspan="5" class="error">${esc(c.message)}</td></tr>`).join("");
      document.querySelector("#history tbody").innerHTML = history.slice(-30).reverse().map(r =>
        `<tr><td>${esc(r.time)}</td><td>${esc(r.cluster)}</td><td>${esc(r.object)}</td><td>${esc(r.step)} ${esc(r.phase)}</td><td>${r.succeeded === false ? '<span class="failed">failed</span>' : r.succeeded ? "ok" : ""} ${esc(r.message || r.savepointPath || "")}</td></tr>`).join("");
      document.body.dataset.loaded = "true";
    }
    async function refresh() {
      try { render(await get("/api/v1/status"), await get("/api/v1/history?limit=30")); }
      catch (e) { document.getElementById("summary").textContent = e.message; }
    }
    refresh();
    setInterval(refresh, 5000);
    </script>
    </body>
    </html>
    """#
}
