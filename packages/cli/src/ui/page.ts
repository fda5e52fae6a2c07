/**
 * The live view's page: static HTML, a stylesheet and a script, served as
 * three files so the page can run under a strict Content-Security-Policy
 * (no inline script or style). The script listens to `/events`:
 * - `graph` (GraphSnapshot): draw the picture and the table from scratch;
 * - `status` (StatusView[]): repaint those resources;
 * - `converged` (boolean); it never turns true when the snapshot's
 *   `convergedDetection` is false (no converger timeout).
 * Every text from the server is set with textContent, never parsed as HTML,
 * except the SVG picture, which the server builds with escaped ids.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>converge</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>converge <span id="title"></span></h1>
  <span id="converged" class="badge" data-converged="false">not converged</span>
  <span id="summary"></span>
  <span id="connection" data-connected="false">connecting…</span>
</header>
<main>
  <section id="graph" aria-label="graph"></section>
  <section>
    <table id="resources">
      <thead><tr><th>resource</th><th>state</th><th>checks</th><th>changes</th><th>last error</th></tr></thead>
      <tbody></tbody>
    </table>
    <p class="legend">
      <span data-state="pending">pending</span> <span data-state="running">running</span>
      <span data-state="converged">converged</span> <span data-state="would change">would change (dry run)</span> <span data-state="failed">failed</span>
      <span data-state="blocked">blocked</span> <span data-state="stopped">stopped</span>
      · dashed arrow: automatic edge · dotted arrow: order through hidden resources · thick arrow: notify
    </p>
  </section>
</main>
</body>
</html>
`;

export const PAGE_STYLE = `
body { font-family: system-ui, sans-serif; margin: 0; color: #212529; background: #f8f9fa; }
header { display: flex; align-items: baseline; gap: 1em; padding: 0.6em 1em; background: #343a40; color: #f8f9fa; }
header h1 { font-size: 1.2em; margin: 0; }
#title { font-weight: normal; color: #ced4da; }
.badge { padding: 0.1em 0.6em; border-radius: 1em; background: #868e96; }
.badge[data-converged="true"] { background: #2b8a3e; }
.badge[data-converged="partly"] { background: #e67700; }
.badge[data-converged="off"] { background: #495057; font-style: italic; }
#connection { margin-left: auto; color: #ffa8a8; }
#connection[data-connected="true"] { color: #b2f2bb; }
main { display: flex; flex-wrap: wrap; gap: 1em; padding: 1em; align-items: flex-start; }
#graph { background: #fff; border: 1px solid #dee2e6; padding: 0.5em; overflow: auto; max-width: 100%; }
#graph svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; background: #fff; font-size: 0.9em; }
th, td { border: 1px solid #dee2e6; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
td.id { font-family: monospace; }
td.error { color: #c92a2a; max-width: 40em; white-space: pre-wrap; }
td.checks, td.changes { text-align: right; }
.legend span { padding: 0 0.5em; border: 1px solid #adb5bd; border-radius: 3px; }
[data-state="pending"] { --fill: #f1f3f5; }
[data-state="running"] { --fill: #fff3bf; }
[data-state="converged"] { --fill: #d3f9d8; }
[data-state="would change"] { --fill: #d0ebff; }
[data-state="failed"] { --fill: #ffc9c9; }
[data-state="blocked"] { --fill: #ffe8cc; }
[data-state="stopped"] { --fill: #dee2e6; }
g.resource[data-state] > rect { fill: var(--fill); }
g.resource[data-state="failed"] > rect { stroke: #c92a2a; stroke-width: 2; }
g.resource[data-state="running"] > rect { stroke: #e67700; stroke-width: 2; }
tr[data-state] td.state, .legend span[data-state] { background: var(--fill); }
`;

export const PAGE_SCRIPT = `
'use strict';
(function () {
  var graph = document.getElementById('graph');
  var rows = document.querySelector('#resources tbody');
  var statuses = new Map();

  function selector(tag, id) {
    return tag + '[data-id="' + CSS.escape(id) + '"]';
  }

  function cell(row, name) {
    var found = row.querySelector('td.' + name);
    if (found) return found;
    var created = document.createElement('td');
    created.className = name;
    row.appendChild(created);
    return created;
  }

  function paint(status) {
    statuses.set(status.id, status);
    // The picture writes ids as shownId does (escapes told apart from typed text).
    var box = graph.querySelector(selector('g.resource', status.shownId));
    if (box) {
      box.setAttribute('data-state', status.state);
      var tip = box.querySelector('title') || box.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'title'));
      tip.textContent = status.shownId + ': ' + status.state + (status.error ? ' (' + status.error + ')' : '');
    }
    var row = rows.querySelector(selector('tr', status.id));
    if (!row) {
      row = document.createElement('tr');
      row.setAttribute('data-id', status.id);
      rows.appendChild(row);
    }
    row.setAttribute('data-state', status.state);
    cell(row, 'id').textContent = status.shownId;
    cell(row, 'state').textContent = status.state;
    cell(row, 'checks').textContent = String(status.checks);
    cell(row, 'changes').textContent = String(status.changes);
    cell(row, 'error').textContent = status.error || '';
  }

  var converged = false;
  var detection = true;

  function summarize() {
    var counts = {};
    statuses.forEach(function (status) { counts[status.state] = (counts[status.state] || 0) + 1; });
    document.getElementById('summary').textContent = Object.keys(counts).sort().map(function (state) {
      return counts[state] + ' ' + state;
    }).join(' · ');
    showConverged(converged);
  }

  // Converged with resources failed, blocked, that a dry run would change or whose watch is down
  // is not the graph's state: said so, as the terminal says it.
  function showConverged(now) {
    converged = now;
    var badge = document.getElementById('converged');
    // Without a converger timeout the graph never counts as converged:
    // saying "not converged" over green resources misled (QA). The table
    // and the summary show the resources' own states.
    if (!detection) {
      badge.setAttribute('data-converged', 'off');
      badge.textContent = 'converged detection off (run with --converger-timeout N)';
      badge.title = "The graph counts as converged once nothing has changed or run for N seconds; without --converger-timeout (-1, the default, as in mgmt) it never does. The states below are each resource's own.";
      return;
    }
    badge.removeAttribute('title');
    var off = false;
    statuses.forEach(function (status) {
      if (status.state === 'failed' || status.state === 'blocked' || status.state === 'would change' || status.state === 'watch down') off = true;
    });
    var shown = !converged ? 'false' : off ? 'partly' : 'true';
    badge.setAttribute('data-converged', shown);
    badge.textContent = shown === 'true' ? 'converged' : shown === 'partly' ? 'converged, but not as the graph says' : 'not converged';
  }

  var source = new EventSource('/events');
  source.addEventListener('graph', function (message) {
    var snapshot = JSON.parse(message.data);
    document.getElementById('title').textContent = snapshot.title;
    document.title = 'converge: ' + snapshot.title;
    if (snapshot.tooLargeToDraw) {
      graph.textContent = snapshot.tooLargeToDraw + ' resources: too many to draw here (see the table below); draw them with: converge graph --format svg GRAPH.yaml > graph.svg';
    } else {
      graph.innerHTML = snapshot.svg;
    }
    detection = snapshot.convergedDetection !== false;
    rows.textContent = '';
    statuses.clear();
    snapshot.statuses.forEach(paint);
    summarize();
    showConverged(snapshot.converged);
  });
  source.addEventListener('status', function (message) {
    JSON.parse(message.data).forEach(paint);
    summarize();
  });
  source.addEventListener('converged', function (message) {
    showConverged(JSON.parse(message.data));
  });
  source.addEventListener('open', function () {
    var connection = document.getElementById('connection');
    connection.setAttribute('data-connected', 'true');
    connection.textContent = 'live';
  });
  source.addEventListener('error', function () {
    var connection = document.getElementById('connection');
    connection.setAttribute('data-connected', 'false');
    connection.textContent = 'disconnected: retrying…';
  });
})();
`;
