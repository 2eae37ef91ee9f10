extension Dashboard {
    /// The page's script: plain JavaScript, no framework. It renders from the status API, the
    /// journal (history) and, where the server offers them, the rounds and diff endpoints; fields
    /// an older server does not send are shown as "–", never guessed.
    static let script = #"""
    "use strict";
    const $ = id => document.getElementById(id);
    const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
    const READ_KEY = "sluice.readToken", OPERATOR_KEY = "sluice.operatorToken";
    const JOBS_PAGE = 100, HISTORY_ROWS = 200, ROUNDS_SHOWN = 5, POLL_MS = 15000, EVENTS_RETRY_MS = 60000;
    const state = { status: null, statusAt: 0, history: [], historyRows: null, historyNote: "", rounds: null, model: null,
                    filter: {env: null, cluster: null}, jobsShown: JOBS_PAGE, diffKey: "", diffs: new Map(), refreshing: null, again: false,
                    rendered: false, progressText: "", pollTimer: 0, renderTimer: 0, lastRender: 0 };

    // ---- API: the token travels in the Authorization header only, never in the URL.
    function token(operator) {
      return operator ? sessionStorage.getItem(OPERATOR_KEY) || "" : sessionStorage.getItem(OPERATOR_KEY) || sessionStorage.getItem(READ_KEY) || "";
    }
    async function api(path, options = {}) {
      const headers = Object.assign({}, options.headers || {});
      const t = token(options.operator);
      if (t) headers.Authorization = "Bearer " + t;
      const response = await fetch(path, {method: options.method || "GET", headers, body: options.body, cache: "no-store", signal: options.signal});
      if (response.status === 401) { const e = new Error("the token was refused"); e.status = 401; throw e; }
      return response;
    }
    async function getJSON(path) {
      const response = await api(path);
      if (!response.ok) { const e = new Error(path + ": HTTP " + response.status); e.status = response.status; throw e; }
      return response.json();
    }

    // ---- Words and tones: every colour comes with its word.
    const TONE_RANK = {ok: 0, none: 1, info: 2, warn: 3, bad: 4};
    const SYNC_RANK = {synced: 0, unchanged: 0, unknown: 1, drifted: 2, "out-of-sync": 3, held: 4, failed: 5, error: 6};
    const HEALTH_RANK = {healthy: 0, suspended: 1, unknown: 2, progressing: 3, missing: 4, degraded: 5};
    function syncTone(s) { return s === "synced" || s === "unchanged" ? "ok" : s === "error" || s === "failed" ? "bad" : s === "unknown" || !s ? "none" : "warn"; }
    function healthTone(h) {
      return h === "healthy" ? "ok" : h === "degraded" || h === "missing" ? "bad" : h === "progressing" ? "info" : h === "suspended" ? "none" : "warn";
    }
    const worse = (a, b, rank) => (rank[b] ?? 1) > (rank[a] ?? 1) ? b : a;
    const worseTone = (a, b) => TONE_RANK[b] > TONE_RANK[a] ? b : a;
    const badge = (text, tone) => `<span class="badge s-${tone}">${esc(text)}</span>`;
    const short = rev => rev ? String(rev).slice(0, 12) : "–";
    function when(t) { if (!t) return "–"; const d = new Date(t); return isNaN(d) ? String(t) : d.toISOString().replace("T", " ").slice(0, 19) + "Z"; }
    function ago(seconds) {
      if (seconds == null || !isFinite(seconds)) return "–";
      const s = Math.max(0, Math.round(seconds));
      return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} d`;
    }
    // `--forge-url` as the status reports it; only an http(s) address makes links.
    function forge() { const f = (state.status && state.status.forgeURL) || ""; return /^https?:\/\/[^\s"'<>]+$/i.test(f) ? f.replace(/\/+$/, "") : ""; }
    function commitLink(rev) {
      if (!rev) return "–";
      return forge() && /^[0-9a-f]{7,64}$/i.test(rev) ? `<a href="${esc(forge())}/commit/${esc(rev)}">${esc(short(rev))}</a>` : `<code>${esc(short(rev))}</code>`;
    }
    function objectName(identity) {
      const text = String(identity || ""), space = text.indexOf(" ");
      return {kind: space > 0 ? text.slice(0, space).split(".")[0] : "", name: space > 0 ? text.slice(space + 1) : text};
    }

    // ---- The model: one entry per cluster and object, grouped into jobs and matrix cells.
    function buildModel(status, history) {
      const clusters = status.clusters || [];
      const entries = [], cells = new Map(), jobs = new Map(), envs = new Set();
      const savepoints = new Map();
      for (const r of history) if (r.savepointPath && r.succeeded !== false && r.phase !== "intent") savepoints.set(r.cluster + "\u0000" + r.object, {path: r.savepointPath, time: r.time});
      for (const c of clusters) {
        for (const o of c.objects || []) {
          const env = o.environment || "(none)";
          envs.add(env);
          const job = o.job || {};
          const entry = {cluster: c.name, clusterStatus: c.status, env, key: o.object, o, job, revision: o.liveRevision || c.revision || null,
                         savepoint: job.lastSavepoint || savepoints.get(c.name + "\u0000" + o.object) || null};
          entries.push(entry);
          const cellKey = env + "\u0000" + c.name;
          const cell = cells.get(cellKey) || {n: 0, outOfSync: 0, degraded: 0, progressing: 0, sync: "synced", health: "healthy"};
          cell.n++;
          if (o.sync !== "synced") cell.outOfSync++;
          if (healthTone(o.health) === "bad") cell.degraded++;
          if (o.health === "progressing") cell.progressing++;
          cell.sync = worse(cell.sync, o.sync || "unknown", SYNC_RANK);
          cell.health = worse(cell.health, o.health || "unknown", HEALTH_RANK);
          cells.set(cellKey, cell);
          const jobKey = env + "\u0000" + o.object;
          let row = jobs.get(jobKey);
          if (!row) { row = {key: jobKey, identity: o.object, env, ...objectName(o.object), entries: []}; jobs.set(jobKey, row); }
          row.entries.push(entry);
        }
        // A cluster that failed as a whole colours every cell it has.
        if (["error", "failed", "held"].includes(c.status)) for (const [k, cell] of cells) if (k.endsWith("\u0000" + c.name)) cell.sync = worse(cell.sync, c.status, SYNC_RANK);
      }
      for (const job of jobs.values()) {
        job.severity = Math.max(...job.entries.map(e => Math.max(TONE_RANK[syncTone(e.o.sync)], TONE_RANK[healthTone(e.o.health)])));
      }
      return {clusters, entries, cells, jobs: [...jobs.values()], envs: [...envs].sort()};
    }
    const inFilter = (env, cluster) => (!state.filter.env || state.filter.env === env) && (!state.filter.cluster || state.filter.cluster === cluster);

    // ---- Header, alerts and the round in progress.
    function renderSummary(status) {
      $("summary").textContent = `revision ${short(status.revision)} · last good ${short(status.lastGoodRevision)}` +
        (status.pinnedRevision ? ` · pinned to ${short(status.pinnedRevision)}` : "") +
        ` · Git ${status.gitReachable === false ? "unreachable" : status.gitReachable ? "reachable" : "not fetched yet"}` +
        ` · last round ${status.lastRound ? when(status.lastRound) : "none yet"}${status.lastRoundReason ? " (" + status.lastRoundReason + ")" : ""}` +
        (status.leader === false ? " · follower (plans only)" : "");
      const alerts = [];
      if (status.unverified) alerts.push(`unverified: ${status.unverified} (kept ${short(status.lastGoodRevision)})`);
      if (status.gitReachable === false) alerts.push("Git is unreachable: the last good revision keeps running");
      for (const c of status.clusters || []) if (c.status === "error" && c.message) alerts.push(`${c.name}: ${c.message}`);
      $("alerts").innerHTML = alerts.map(a => `<p>${esc(a)}</p>`).join("");
    }
    function renderProgress(progress) {
      const el = $("progress");
      const text = progress ? JSON.stringify(progress) : "";
      if (text === state.progressText) return;
      state.progressText = text;
      if (!progress) { el.hidden = true; el.innerHTML = ""; return; }
      const clusters = (progress.clusters || []).map(c => {
        const counted = c.total ? ` ${c.done ?? 0}/${c.total}` : "";
        const tone = c.state === "done" ? "ok" : c.state === "failed" || c.state === "error" ? "bad" : c.state === "pending" ? "none" : "info";
        return `<li data-cluster="${esc(c.name)}"><strong>${esc(c.name)}</strong>: ${badge((c.state || "pending") + counted, tone)} ${esc(c.message || "")}</li>`;
      }).join("");
      el.innerHTML = `<strong>Round in progress: ${esc(progress.phase || "running")}</strong> · revision ${esc(short(progress.revision))}` +
        (progress.reason ? ` (${esc(progress.reason)})` : "") + (progress.started ? ` · since ${esc(when(progress.started))}` : "") +
        (clusters ? `<ul>${clusters}</ul>` : "");
      el.hidden = false;
    }

    // ---- Environments × clusters.
    function renderMatrix(model) {
      $("matrix").tHead.innerHTML = `<tr><th scope="col">Environment \\ cluster</th>` + model.clusters.map(c =>
        `<th scope="col">${esc(c.name)}<br><small>${esc(c.driver || "")}${c.tier ? " · " + esc(c.tier) : ""}${c.wave != null ? " · wave " + esc(c.wave) : ""}</small></th>`).join("") + "</tr>";
      $("matrix").tBodies[0].innerHTML = model.envs.map(env => `<tr><th scope="row">${esc(env)}</th>` + model.clusters.map(c => {
        const cell = model.cells.get(env + "\u0000" + c.name);
        if (!cell) return `<td class="empty">no jobs</td>`;
        const tone = worseTone(syncTone(cell.sync), healthTone(cell.health));
        const counts = [`${cell.n} ${cell.n === 1 ? "job" : "jobs"}`];
        if (cell.outOfSync) counts.push(`${cell.outOfSync} not synced`);
        if (cell.degraded) counts.push(`${cell.degraded} unhealthy`);
        if (cell.progressing) counts.push(`${cell.progressing} progressing`);
        const pressed = state.filter.env === env && state.filter.cluster === c.name;
        return `<td><button type="button" class="cell s-${tone}" data-env="${esc(env)}" data-cluster="${esc(c.name)}" data-sync="${esc(cell.sync)}" data-health="${esc(cell.health)}" data-tone="${tone}" aria-pressed="${pressed}">` +
          `<strong>${esc(cell.sync)} · ${esc(cell.health)}</strong><small>${esc(counts.join(" · "))}</small></button></td>`;
      }).join("") + "</tr>").join("");
      const f = state.filter;
      $("filter-text").textContent = f.env ? `Showing ${f.env} on ${f.cluster} only.` : "Showing every environment and cluster.";
      $("clear-filter").hidden = !f.env;
    }

    // ---- Jobs.
    // The age the server computed, grown by the time since the document arrived (no clock skew).
    function checkpointAge(job) {
      const last = job.lastCheckpoint;
      if (!last || last.ageSeconds == null) return null;
      return Number(last.ageSeconds) + (Date.now() - state.statusAt) / 1000;
    }
    function uniqueText(values) { const set = [...new Set(values.filter(v => v != null && v !== "").map(String))]; return set.length ? set.join(", ") : "–"; }
    function renderJobs(model) {
      const search = $("job-search").value.trim().toLowerCase();
      const warnAfter = Number($("age-warning").value);
      const jobs = model.jobs.filter(j => j.entries.some(e => inFilter(e.env, e.cluster)) && (!search || j.name.toLowerCase().includes(search)))
        .sort((a, b) => b.severity - a.severity || a.name.localeCompare(b.name) || a.env.localeCompare(b.env));
      const shown = jobs.slice(0, state.jobsShown);
      $("jobs").tBodies[0].innerHTML = shown.map(job => {
        const entries = job.entries.filter(e => inFilter(e.env, e.cluster));
        const clusters = entries.map(e => `<li data-cluster="${esc(e.cluster)}" data-sync="${esc(e.o.sync)}" data-health="${esc(e.o.health || "unknown")}">` +
          `${esc(e.cluster)}: ${badge(e.o.sync || "unknown", syncTone(e.o.sync))} ${badge(e.o.health || "unknown", healthTone(e.o.health))}` +
          (e.job.state ? ` <small>${esc(e.job.state)}</small>` : "") +
          (e.o.healthReason && e.o.health !== "healthy" ? `<br><small>${esc(e.o.healthReason)}</small>` : "") + "</li>").join("");
        const ages = entries.map(e => checkpointAge(e.job)).filter(a => a != null);
        const oldest = ages.length ? Math.max(...ages) : null;
        const age = oldest == null ? "–" : oldest > warnAfter ? `<span class="warn-age">${esc(ago(oldest))} (over ${esc(ago(warnAfter))})</span>` : esc(ago(oldest));
        const savepoint = entries.map(e => e.savepoint).filter(Boolean).sort((a, b) => String(b.time || "").localeCompare(String(a.time || "")))[0];
        const restarts = entries.map(e => e.job.restarts).filter(r => r != null);
        const pending = entries.filter(e => e.o.sync !== "synced").map(e => `${esc(e.cluster)}: ${badge(e.o.changeClass || e.o.action || e.o.sync, "warn")}`);
        const diffs = entries.filter(e => (e.o.changes || []).length).map(e =>
          `<button type="button" class="open-diff" data-cluster="${esc(e.cluster)}" data-object="${esc(e.key)}" aria-label="Diff of ${esc(job.name)} on ${esc(e.cluster)}">Diff ${esc(e.cluster)}</button>`);
        const pendingText = (pending.length ? pending.join("<br>") : "none") + (diffs.length ? "<br>" + diffs.join(" ") : "");
        return `<tr data-job="${esc(job.identity)}" data-env="${esc(job.env)}"><th scope="row">${esc(job.name)}<br><small>${esc(job.kind)} · ${esc(job.env)}</small></th>` +
          `<td class="clusters"><ul>${clusters}</ul></td><td>${esc(uniqueText(entries.map(e => e.job.upgradeMode)))}</td>` +
          `<td class="optional">${esc(uniqueText(entries.map(e => e.job.parallelism)))}</td><td>${age}</td>` +
          `<td class="optional">${savepoint ? `<code>${esc(savepoint.path)}</code><br><small>${esc(when(savepoint.time))}</small>` : "–"}</td>` +
          `<td class="optional">${restarts.length ? esc(restarts.reduce((a, b) => a + Number(b), 0)) : "–"}</td>` +
          `<td class="optional">${[...new Set(entries.map(e => e.revision).filter(Boolean))].map(commitLink).join(" ") || "–"}</td>` +
          `<td>${pendingText}</td></tr>`;
      }).join("");
      $("jobs-count").textContent = `${shown.length} of ${jobs.length} jobs`;
      $("jobs-more").hidden = shown.length >= jobs.length;
    }

    // ---- Rollout timeline.
    // Rounds as the server reports them (`/api/v1/rounds`), or (older servers) read off the
    // journal: a run of records of one revision is a round, each cluster's bar spans its records.
    function roundsFromJournal(history, status) {
      const waves = new Map((status.clusters || []).map(c => [c.name, c.wave ?? 0]));
      const rounds = [];
      let current = null;
      for (const r of history) {
        const t = Date.parse(r.time);
        if (!current || current.revision !== (r.revision || "") || t - current.last > 600000) {
          current = {revision: r.revision || "", started: r.time, finished: r.time, last: t, clusters: new Map()};
          rounds.push(current);
        }
        current.last = t; current.finished = r.time;
        const bar = current.clusters.get(r.cluster) || {name: r.cluster, wave: waves.get(r.cluster) ?? 0, started: r.time, finished: r.time, failed: false, rolledBack: false};
        bar.finished = r.time;
        if (r.succeeded === false) bar.failed = true;
        if (r.step === "rollback") bar.rolledBack = true;
        current.clusters.set(r.cluster, bar);
      }
      return rounds.reverse().map(r => ({revision: r.revision, started: r.started, finished: r.finished,
        clusters: [...r.clusters.values()].map(b => ({name: b.name, wave: b.wave, started: b.started, finished: b.finished,
          outcome: b.rolledBack ? "rolled-back" : b.failed ? "failed" : "synced", journal: null}))}));
    }
    // Rounds newest first; only those that synced a cluster make bars.
    function renderTimeline(rounds) {
      const chart = $("timeline-chart");
      const shown = rounds.map(r => ({...r, clusters: (r.clusters || []).filter(c => !state.filter.cluster || c.name === state.filter.cluster)}))
        .filter(r => r.clusters.length).slice(0, ROUNDS_SHOWN);
      if (!shown.length) { chart.innerHTML = `<p class="muted">No round has synced a cluster yet.</p>`; return; }
      const W = 960, left = 80, right = 12, row = 22, inner = W - left - right;
      let y = 0;
      const parts = [];
      for (const round of shown) {
        const starts = round.clusters.map(c => Date.parse(c.started)).filter(isFinite);
        const ends = round.clusters.map(c => Date.parse(c.finished || c.started)).filter(isFinite);
        const t0 = starts.length ? Math.min(...starts) : Date.parse(round.started);
        const span = Math.max(1000, (ends.length ? Math.max(...ends) : t0) - t0);
        y += 18;
        parts.push(`<text class="round-title" x="0" y="${y}">${round.number != null ? "round " + esc(round.number) + " · " : ""}${esc(short(round.revision))}` +
          `${round.reason ? " · " + esc(round.reason) : ""} · ${esc(when(round.started))} · ${esc(ago(span / 1000))}</text>`);
        y += 6;
        const waves = [...new Set(round.clusters.map(c => c.wave ?? 0))].sort((a, b) => a - b);
        for (const wave of waves) {
          const lane = round.clusters.filter(c => (c.wave ?? 0) === wave).sort((a, b) => a.name.localeCompare(b.name));
          parts.push(`<rect class="lane" x="${left}" y="${y}" width="${inner}" height="${lane.length * row}"></rect>` +
            `<text class="lane-label" x="0" y="${y + 15}">wave ${esc(wave)}</text>`);
          lane.forEach((c, i) => {
            const start = Date.parse(c.started), end = Date.parse(c.finished || c.started);
            const synced = isFinite(start);
            const x = left + ((synced ? start : t0) - t0) / span * inner;
            const width = synced && isFinite(end) ? Math.max(6, (end - start) / span * inner) : 6;
            const word = c.outcome || c.status || "synced";
            const rolledBack = word === "rolled-back";
            const failed = rolledBack || word === "failed" || word === "error";
            const tone = failed ? "bad" : word === "held" ? "warn" : word === "unchanged" ? "none" : "ok";
            const marks = (failed ? " ✕" : "") + (rolledBack ? " ↺" : "");
            const seconds = synced && isFinite(end) ? ago((end - start) / 1000) : "not synced";
            const label = `${c.name}: ${word}, ${seconds}${c.message ? " — " + c.message : ""}`;
            const by = y + i * row + 3;
            parts.push(`<a href="#history" class="bar-link" data-cluster="${esc(c.name)}" data-revision="${esc(round.revision || "")}" data-journal="${esc(c.journal || "")}" aria-label="${esc(label + "; opens its journal records")}">` +
              `<rect class="bar st-${tone}" data-cluster="${esc(c.name)}" data-wave="${esc(wave)}" data-status="${esc(word)}" x="${x.toFixed(1)}" y="${by}" width="${width.toFixed(1)}" height="${row - 6}" rx="3"><title>${esc(label)}</title></rect>` +
              `<text class="bar-label" x="${Math.min(x + 4, W - 170).toFixed(1)}" y="${by + 12}">${esc(c.name)}${esc(marks)} · ${esc(word)} · ${esc(seconds)}</text></a>`);
          });
          y += lane.length * row + 4;
        }
        parts.push(`<text class="axis" x="${left}" y="${y + 10}">0 s</text><text class="axis" x="${W - right}" y="${y + 10}" text-anchor="end">${esc(ago(span / 1000))}</text>`);
        y += 20;
      }
      chart.innerHTML = `<svg viewBox="0 0 ${W} ${y}" role="img" aria-label="Rollout timeline of the last ${shown.length} rounds" xmlns="http://www.w3.org/2000/svg">${parts.join("")}</svg>`;
    }

    // A cluster and an object as one <option> value. Not joined with U+0000 as the in-page maps
    // are: the HTML parser turns a NUL in an attribute into U+FFFD, so a chosen option would
    // name no object.
    function choiceValue(cluster, object) { return JSON.stringify([cluster, object]); }
    function choiceParts(value) {
      try { const parts = JSON.parse(value); if (Array.isArray(parts) && parts.length === 2) return parts.map(String); } catch (e) { /* not a choice */ }
      return ["", ""];
    }

    // ---- Diff: the server's field diff (`/api/v1/diff`), or the status's change lines.
    // "~ path: old → new", "+ path: new", "- path: old" (FieldChange's description) as rows.
    function parseChange(line) {
      const m = /^([~+-]) (.+?): (.*?)( \(added by [^)]*\))?$/.exec(line);
      if (!m) return {path: line, live: "", desired: ""};
      if (m[1] === "+") return {path: m[2], live: "", desired: m[3]};
      if (m[1] === "-") return {path: m[2], live: m[3], desired: ""};
      const i = m[3].indexOf(" → ");
      return {path: m[2], live: i >= 0 ? m[3].slice(0, i) : m[3], desired: i >= 0 ? m[3].slice(i + 3) : ""};
    }
    function renderDiffChoices(model) {
      const select = $("diff-object");
      const options = model.entries.filter(e => (e.o.changes || []).length && inFilter(e.env, e.cluster))
        .sort((a, b) => (a.o.sync === "synced") - (b.o.sync === "synced") || a.cluster.localeCompare(b.cluster) || a.key.localeCompare(b.key))
        .slice(0, 1000)
        .map(e => ({value: choiceValue(e.cluster, e.key),
                    text: `${e.cluster} · ${objectName(e.key).name} (${e.o.changes.length} ${e.o.changes.length === 1 ? "field" : "fields"}${e.o.sync === "synced" ? ", applied" : ", pending"})`}));
      if (!options.some(o => o.value === state.diffKey)) state.diffKey = options.length ? options[0].value : "";
      select.innerHTML = options.length ? options.map(o => `<option value="${esc(o.value)}"${o.value === state.diffKey ? " selected" : ""}>${esc(o.text)}</option>`).join("")
        : `<option value="">no object differs</option>`;
      renderDiff(model);
    }
    async function renderDiff(model) {
      const body = $("diff-body");
      const key = state.diffKey;
      const [cluster, object] = choiceParts(key);
      const entry = model.entries.find(e => e.cluster === cluster && e.key === object);
      if (!entry) { body.innerHTML = `<p class="muted">Desired and live agree everywhere shown.</p>`; return; }
      // One request per object and status document; an older server without the endpoint gets the change lines.
      const cacheKey = key + "\u0000" + state.statusAt;
      let diff = state.diffs.get(cacheKey);
      if (diff === undefined) {
        diff = null;
        try {
          const response = await api(`/api/v1/diff?cluster=${encodeURIComponent(cluster)}&object=${encodeURIComponent(object)}`);
          if (response.ok) diff = await response.json();
        } catch (e) { diff = null; }
        if (state.diffs.size > 200) state.diffs.clear();
        state.diffs.set(cacheKey, diff);
        if (state.diffKey !== key) return;
      }
      const rows = diff && Array.isArray(diff.fields)
        ? diff.fields.map(f => ({path: f.path, live: f.live ?? "", desired: f.desired ?? "", changeClass: f.changeClass, manager: f.manager, ignored: f.ignored}))
        : (entry.o.changes || []).map(parseChange);
      const objectClass = (diff && diff.changeClass) || entry.o.changeClass;
      body.innerHTML = `<p><strong>${esc(objectName(entry.key).name)}</strong> on ${esc(entry.cluster)} · ${esc((diff && diff.action) || entry.o.action || "")}: ${esc((diff && diff.reason) || entry.o.reason || "")}` +
        (objectClass ? ` · change class ${badge(objectClass, "warn")}` : "") +
        (diff && diff.liveRevision ? ` · live from ${commitLink(diff.liveRevision)}` : "") + (diff && diff.desiredRevision ? ` · desired from ${commitLink(diff.desiredRevision)}` : "") + `</p>` +
        `<div class="scroll"><table data-cluster="${esc(entry.cluster)}" data-object="${esc(entry.key)}"><thead><tr><th scope="col">Field</th><th scope="col">Live</th><th scope="col">Desired</th><th scope="col">Change class</th></tr></thead><tbody>` +
        rows.map(r => `<tr><th scope="row"><code>${esc(r.path)}</code>${r.manager ? `<br><small>added by ${esc(r.manager)}</small>` : ""}${r.ignored ? `<br><small>left to others, not applied</small>` : ""}</th>` +
          `<td>${esc(r.live === "" ? "(absent)" : r.live)}</td><td>${esc(r.desired === "" ? "(absent)" : r.desired)}</td><td>${esc(r.changeClass || objectClass || "–")}</td></tr>`).join("") +
        `</tbody></table></div>`;
    }

    // ---- History: the newest records, or the server's answer for the filters (and for a bar).
    function historyFilters() {
      return {cluster: $("history-cluster").value || state.filter.cluster || "", job: $("history-job").value.trim(), revision: $("history-revision").value.trim()};
    }
    let historyTimer = 0;
    function loadHistorySoon(path, note) { clearTimeout(historyTimer); historyTimer = setTimeout(() => loadHistory(path, note), 250); }
    async function loadHistory(path, note) {
      const f = historyFilters();
      if (!path && !f.cluster && !f.job && !f.revision) { state.historyRows = null; state.historyNote = ""; renderHistory(state.model); return; }
      const query = new URLSearchParams({limit: String(HISTORY_ROWS)});
      for (const k of ["cluster", "job", "revision"]) if (f[k]) query.set(k, f[k]);
      try {
        const rows = await getJSON(path || "/api/v1/history?" + query);
        state.historyRows = Array.isArray(rows) ? rows : [];
        state.historyNote = note || "";
      } catch (e) { state.historyRows = null; state.historyNote = "cannot read the journal: " + e.message; }
      renderHistory(state.model);
    }
    function renderHistory(model) {
      const select = $("history-cluster"), chosen = select.value;
      select.innerHTML = `<option value="">all</option>` + model.clusters.map(c => `<option${c.name === chosen ? " selected" : ""}>${esc(c.name)}</option>`).join("");
      const f = historyFilters(), job = f.job.toLowerCase(), revision = f.revision.toLowerCase();
      const source = state.historyRows || state.history;
      const rows = [];
      // The same filters again here: an older server ignores the ones it does not know.
      for (let i = source.length - 1; i >= 0 && rows.length < HISTORY_ROWS; i--) {
        const r = source[i];
        if (!state.historyNote) {
          if (f.cluster && r.cluster !== f.cluster) continue;
          if (job && !String(r.object).toLowerCase().includes(job)) continue;
          if (revision && !String(r.revision || "").toLowerCase().startsWith(revision)) continue;
        }
        rows.push(r);
      }
      $("history-note").textContent = state.historyNote;
      $("history-table").tBodies[0].innerHTML = rows.map(r => `<tr data-cluster="${esc(r.cluster)}"><td>${esc(when(r.time))}</td><td>${esc(r.cluster)}</td>` +
        `<td>${esc(objectName(r.object).name)}</td><td>${esc(r.step)} ${esc(r.phase)}</td>` +
        `<td>${r.succeeded === false ? badge("failed", "bad") : r.succeeded ? badge("ok", "ok") : ""} ${esc(r.message || r.savepointPath || "")}</td>` +
        `<td>${commitLink(r.revision)}</td></tr>`).join("") || `<tr><td colspan="6" class="muted">No journal records match.</td></tr>`;
    }

    function renderSavepointChoices(model) {
      const select = $("savepoint-target"), chosen = select.value;
      select.innerHTML = model.entries.filter(e => e.o.job && inFilter(e.env, e.cluster)).slice(0, 2000).map(e => {
        const v = choiceValue(e.cluster, e.key);
        return `<option value="${esc(v)}"${v === chosen ? " selected" : ""}>${esc(e.cluster)} · ${esc(objectName(e.key).name)}</option>`;
      }).join("") || `<option value="">no running job</option>`;
    }

    function renderAll() {
      if (!state.status) return;
      state.lastRender = Date.now();
      const model = state.model = buildModel(state.status, state.history);
      renderSummary(state.status);
      renderProgress(state.status.progress);
      renderMatrix(model);
      renderJobs(model);
      renderTimeline(state.rounds || roundsFromJournal(state.history, state.status));
      renderDiffChoices(model);
      renderHistory(model);
      renderSavepointChoices(model);
      if (!state.rendered) {
        state.rendered = true;
        // Marked after the frame that shows the data: `make bench` reads it as the first render.
        requestAnimationFrame(() => setTimeout(() => { performance.mark("sluice-rendered"); document.body.dataset.loaded = "true"; }, 0));
      }
    }
    // Live updates re-render at most once a second (a round reports progress often).
    function renderSoon() {
      if (state.renderTimer) return;
      state.renderTimer = setTimeout(() => { state.renderTimer = 0; renderAll(); }, Math.max(0, 1000 - (Date.now() - state.lastRender)));
    }
    function setStatus(status) { state.status = status; state.statusAt = Date.now(); }

    // ---- Loading and live updates.
    async function loadRounds() {
      try {
        const response = await api("/api/v1/rounds?limit=20");
        state.rounds = response.ok ? ((await response.json()).rounds || null) : null;
      } catch (e) { if (e.status === 401) throw e; state.rounds = null; }
    }
    async function load() {
      const [status, history] = await Promise.all([getJSON("/api/v1/status"), getJSON("/api/v1/history?limit=500").catch(() => []), loadRounds()]);
      setStatus(status);
      state.history = Array.isArray(history) ? history : [];
      renderAll();
    }
    // At most one load at a time; asks that arrive meanwhile make one more.
    function refresh() {
      if (state.refreshing) { state.again = true; return state.refreshing; }
      state.refreshing = load().catch(e => {
        if (e.status === 401) showLogin("The token was refused; enter it again.");
        else $("live").textContent = "cannot read the status: " + e.message;
      }).finally(() => { state.refreshing = null; if (state.again) { state.again = false; refresh(); } });
      return state.refreshing;
    }
    let refreshTimer = 0;
    function scheduleRefresh() { clearTimeout(refreshTimer); refreshTimer = setTimeout(refresh, 200); }

    function handleEvent(name, data) {
      let value = null;
      try { value = data ? JSON.parse(data) : null; } catch (e) { value = null; }
      if (name === "status" && value && Array.isArray(value.clusters)) { setStatus(value); renderProgress(value.progress); renderSoon(); return; }
      // A finished round: its bars, and the journal it wrote.
      scheduleRefresh();
    }
    // Server-sent events read through fetch, so the token goes in the Authorization header (an
    // EventSource cannot send one, and the token must not be put in the URL).
    async function follow() {
      clearInterval(state.pollTimer);
      try {
        const response = await api("/api/v1/events", {headers: {Accept: "text/event-stream"}});
        if (!response.ok || !response.body || !(response.headers.get("content-type") || "").startsWith("text/event-stream")) {
          const e = new Error("HTTP " + response.status); e.status = response.status; throw e;
        }
        $("live").textContent = "live (server-sent events)";
        const reader = response.body.getReader(), decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, {stream: true}).replace(/\r\n?/g, "\n");
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let name = "message";
            const data = [];
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) name = line.slice(6).trim();
              else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
            }
            if (data.length) handleEvent(name, data.join("\n"));
          }
          if (buffer.length > 64 << 20) buffer = "";  // a runaway event: drop it rather than grow without bound
        }
        $("live").textContent = "the event stream ended; reconnecting";
        setTimeout(follow, 2000);
      } catch (e) {
        if (e.status === 401) return showLogin("The token was refused; enter it again.");
        // No event stream here: a slow poll, and another try at the stream later.
        $("live").textContent = `polling every ${POLL_MS / 1000} s (no event stream: ${e.message})`;
        state.pollTimer = setInterval(refresh, POLL_MS);
        setTimeout(follow, EVENTS_RETRY_MS);
      }
    }

    function showLogin(message) {
      $("login").hidden = false;
      $("login-error").textContent = message || "";
      $("summary").textContent = "Enter an API token to see the status.";
      $("read-token").focus();
    }
    let following = false;
    async function start() {
      await refresh();
      if (state.status && !following) { following = true; follow(); }
    }

    // ---- Filters and controls.
    document.addEventListener("click", event => {
      const cell = event.target.closest("button.cell");
      if (cell) {
        const same = state.filter.env === cell.dataset.env && state.filter.cluster === cell.dataset.cluster;
        state.filter = same ? {env: null, cluster: null} : {env: cell.dataset.env, cluster: cell.dataset.cluster};
        state.jobsShown = JOBS_PAGE;
        renderAll();
        loadHistorySoon();
        document.querySelector(`button.cell[data-env="${CSS.escape(cell.dataset.env)}"][data-cluster="${CSS.escape(cell.dataset.cluster)}"]`)?.focus();
        return;
      }
      const diff = event.target.closest("button.open-diff");
      if (diff) {
        state.diffKey = choiceValue(diff.dataset.cluster, diff.dataset.object);
        renderDiffChoices(state.model);
        $("diff-heading").focus();
        return;
      }
      const bar = event.target.closest("a.bar-link");
      if (bar) {
        event.preventDefault();
        clearTimeout(historyTimer);
        $("history-cluster").value = bar.dataset.cluster;
        $("history-revision").value = bar.dataset.revision.slice(0, 12);
        $("history-job").value = "";
        const journal = bar.dataset.journal;
        const note = `Journal records of ${bar.dataset.cluster} for revision ${short(bar.dataset.revision)}.`;
        // The server's own link holds the round's time window; an older server is filtered here.
        if (journal && journal.startsWith("/api/v1/history?")) loadHistory(journal, note); else { state.historyRows = null; state.historyNote = ""; renderHistory(state.model); }
        $("history-heading").focus();
      }
    });
    $("clear-filter").addEventListener("click", () => { state.filter = {env: null, cluster: null}; renderAll(); loadHistorySoon(); $("matrix-heading").focus(); });
    $("jobs-more").addEventListener("click", () => { state.jobsShown += JOBS_PAGE; renderJobs(state.model); });
    for (const id of ["job-search", "age-warning"]) $(id).addEventListener("input", () => { state.jobsShown = JOBS_PAGE; renderJobs(state.model); });
    for (const id of ["history-cluster", "history-job", "history-revision"]) $(id).addEventListener("input", () => { renderHistory(state.model); loadHistorySoon(); });
    $("diff-object").addEventListener("change", e => { state.diffKey = e.target.value; renderDiff(state.model); });
    for (const form of document.querySelectorAll("form[role=search], #diff form")) form.addEventListener("submit", e => e.preventDefault());
    $("login").addEventListener("submit", event => {
      event.preventDefault();
      sessionStorage.setItem(READ_KEY, $("read-token").value);
      $("read-token").value = "";
      $("login").hidden = true;
      start();
    });

    // ---- Actions: only with the operator token, each confirmed first.
    function showActions() {
      const has = !!sessionStorage.getItem(OPERATOR_KEY);
      $("operator-login").hidden = has;
      $("action-panel").hidden = !has;
    }
    // The answer is taken from the button press (or Escape) itself, not from the dialog's close
    // event: that event is queued, and one left by the previous dialog can arrive after the next
    // one opened.
    let answerConfirm = null;
    function confirmAction(text) {
      if (answerConfirm) answerConfirm(false);
      return new Promise(resolve => {
        answerConfirm = resolve;
        $("confirm-text").textContent = text;
        $("confirm").showModal();
      });
    }
    function settleConfirm(ok) {
      const resolve = answerConfirm;
      answerConfirm = null;
      if (resolve) resolve(ok);
    }
    $("confirm").querySelector("form").addEventListener("submit", event => settleConfirm(event.submitter?.value === "ok"));
    $("confirm").addEventListener("cancel", () => settleConfirm(false));
    async function act(question, path, body, waiting) {
      if (!await confirmAction(question)) { $("action-result").textContent = "cancelled"; return; }
      $("action-result").textContent = waiting || "sent…";
      let response;
      try {
        response = await api(path, {method: "POST", operator: true, headers: {"Content-Type": "application/json"}, body: body === undefined ? undefined : JSON.stringify(body)});
      } catch (e) {
        if (e.status === 401) { sessionStorage.removeItem(OPERATOR_KEY); showActions(); }
        $("action-result").textContent = e.status === 401 ? "the operator token was refused and is forgotten" : "failed: " + e.message;
        return;
      }
      const answer = await response.json().catch(() => ({}));
      $("action-result").textContent = response.ok ? [answer.accepted || answer.message || "accepted", answer.savepointPath].filter(Boolean).join(": ")
        : response.status === 403 ? "refused: this token may only read"
        : `refused (HTTP ${response.status}): ${answer.error || ""}${answer.hint ? " — " + answer.hint : ""}`;
      scheduleRefresh();
    }
    $("operator-login").addEventListener("submit", event => {
      event.preventDefault();
      sessionStorage.setItem(OPERATOR_KEY, $("operator-token").value);
      $("operator-token").value = "";
      showActions();
    });
    $("operator-logout").addEventListener("click", () => { sessionStorage.removeItem(OPERATOR_KEY); showActions(); });
    $("action-sync").addEventListener("click", () => act("Start a sync round of every cluster now?", "/api/v1/sync"));
    $("action-pin").addEventListener("submit", event => {
      event.preventDefault();
      const revision = $("pin-revision").value.trim();
      act(`Pin revision ${revision}? Every cluster is synced to it now and stays there until unpinned.`, "/api/v1/rollback", {revision});
    });
    $("action-unpin").addEventListener("click", () => act("Unpin and follow the branch again?", "/api/v1/rollback", {revision: null}));
    $("action-savepoint").addEventListener("submit", event => {
      event.preventDefault();
      const [cluster, object] = choiceParts($("savepoint-target").value);
      if (!object) return;
      act(`Take a savepoint of ${objectName(object).name} on ${cluster} now? The job keeps running.`, "/api/v1/savepoint", {cluster, job: object},
          "savepoint requested; waiting for Flink to complete it…");
    });

    showActions();
    start();
    """#
}
