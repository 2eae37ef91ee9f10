/// The dashboard: one HTML page with its stylesheet and script inline, served from the binary (no
/// build step, no external assets). The script reads the status API with a token the page asks
/// for and keeps in the browser's session storage, never in the URL, and follows the server-sent
/// events of `/api/v1/events` (a slow poll where they are not available).
enum Dashboard {
    /// The page. Commit links use the status API's `forgeURL` (`serve --forge-url`).
    static let page = head + "<style>\n" + style + "\n</style>\n</head>\n" + body + "<script>\n" + script + "\n</script>\n</body>\n</html>\n"

    static let head = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>Sluice</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">

    """#

    static let body = #"""
    <body>
    <a class="skip" href="#jobs-heading">Skip to jobs</a>
    <header>
      <h1>Sluice</h1>
      <p id="summary" aria-live="polite">loading…</p>
      <p id="live" class="muted"></p>
    </header>
    <main>
    <form id="login" class="inline" hidden>
      <label for="read-token">API token (read role)</label>
      <input id="read-token" type="password" autocomplete="off" required>
      <button type="submit">Open</button>
      <span id="login-error" role="alert"></span>
    </form>
    <section id="progress" role="status" aria-live="polite" aria-label="Round in progress" hidden></section>
    <div id="alerts" role="alert"></div>

    <section aria-labelledby="matrix-heading">
      <h2 id="matrix-heading">Environments × clusters</h2>
      <div class="scroll"><table id="matrix"><caption class="muted">Sync and health per environment and cluster; choose a cell to filter everything below.</caption><thead></thead><tbody></tbody></table></div>
      <p id="filter-note"><span id="filter-text">Showing every environment and cluster.</span> <button type="button" id="clear-filter" hidden>Show all</button></p>
    </section>

    <section aria-labelledby="jobs-heading">
      <h2 id="jobs-heading" tabindex="-1">Jobs</h2>
      <form class="inline" id="jobs-filters" role="search">
        <label for="job-search">Job</label><input id="job-search" type="search" placeholder="name contains">
        <label for="age-warning">Checkpoint age warning</label>
        <select id="age-warning"><option value="60">1 min</option><option value="300" selected>5 min</option><option value="900">15 min</option><option value="3600">1 h</option></select>
      </form>
      <div class="scroll"><table id="jobs"><thead><tr>
        <th scope="col">Job</th><th scope="col">Clusters: state and health</th><th scope="col">Upgrade mode</th><th scope="col" class="optional">Parallelism</th>
        <th scope="col">Checkpoint age</th><th scope="col" class="optional">Last savepoint</th><th scope="col" class="optional">Restarts</th>
        <th scope="col" class="optional">Revision</th><th scope="col">Pending change</th></tr></thead><tbody></tbody></table></div>
      <p class="more"><span id="jobs-count"></span> <button type="button" id="jobs-more" hidden>Show more</button></p>
    </section>

    <section aria-labelledby="timeline-heading" id="timeline">
      <h2 id="timeline-heading">Rollout timeline</h2>
      <p class="muted">The last rounds: one lane per wave, one bar per cluster from its start to healthy. ✕ marks a failure, ↺ a rollback; a bar opens its journal records.</p>
      <div id="timeline-chart"></div>
    </section>

    <section aria-labelledby="diff-heading" id="diff">
      <h2 id="diff-heading" tabindex="-1">Diff: desired against live</h2>
      <form class="inline"><label for="diff-object">Object</label><select id="diff-object"></select></form>
      <div id="diff-body" aria-live="polite"></div>
    </section>

    <section aria-labelledby="history-heading" id="history">
      <h2 id="history-heading" tabindex="-1">History</h2>
      <form class="inline" id="history-filters" role="search">
        <label>Cluster <select id="history-cluster"><option value="">all</option></select></label>
        <label>Job <input id="history-job" type="search" placeholder="name contains"></label>
        <label>Revision <input id="history-revision" type="search" placeholder="commit prefix"></label>
      </form>
      <p id="history-note" class="muted" aria-live="polite"></p>
      <div class="scroll"><table id="history-table"><thead><tr><th scope="col">Time</th><th scope="col">Cluster</th><th scope="col">Object</th>
        <th scope="col">Step</th><th scope="col">Result</th><th scope="col">Revision</th></tr></thead><tbody></tbody></table></div>
    </section>

    <section aria-labelledby="actions-heading" id="actions">
      <h2 id="actions-heading">Actions</h2>
      <form id="operator-login" class="inline">
        <label for="operator-token">Operator token</label><input id="operator-token" type="password" autocomplete="off" required>
        <button type="submit">Enable actions</button>
      </form>
      <div id="action-panel" hidden>
        <p class="muted">Each action asks for confirmation first. <button type="button" id="operator-logout">Forget the operator token</button></p>
        <p><button type="button" id="action-sync">Sync now</button></p>
        <form class="inline" id="action-pin"><label for="pin-revision">Pin revision</label><input id="pin-revision" placeholder="commit, tag or branch" required>
          <button type="submit">Pin</button> <button type="button" id="action-unpin">Unpin (follow the branch)</button></form>
        <form class="inline" id="action-savepoint"><label for="savepoint-target">Savepoint of</label><select id="savepoint-target"></select>
          <button type="submit">Trigger savepoint</button></form>
        <p id="action-result" role="status" aria-live="polite"></p>
      </div>
    </section>
    </main>
    <dialog id="confirm" aria-labelledby="confirm-text">
      <form method="dialog">
        <p id="confirm-text"></p>
        <button value="cancel" autofocus>Cancel</button> <button value="ok" id="confirm-ok">Confirm</button>
      </form>
    </dialog>

    """#
}
