/**
 * The live view's page (`twoway run --live`): progress and failures first, then the matrix, filled
 * in over a WebSocket as nodes finish. Its one script is allowed by a nonce; the Content Security
 * Policy lets it connect to the live server's own WebSocket and load nothing else. Everything from the
 * run is put in with textContent, never parsed as HTML.
 */
import { VERDICT_KINDS } from '../verdicts.js';
import { escapeHtml as esc } from './html-escape.js';
import { verdictColour } from './html.js';

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d1f23;background:#fff}
h1{font-size:1.3rem;margin:0 0 .5rem}h2{font-size:1.1rem;margin:1.25rem 0 .4rem}
#progress{display:flex;gap:1rem;align-items:center}progress{width:20rem;height:1.1rem}
#status{font-weight:600}#status.finished{color:#1e6b2a}#status.closed{color:#8c1d18}
#failures li{margin:.2rem 0}#failures .causes{color:#4a4f57;font-size:13px;margin:0 0 .3rem 1rem;padding:0;list-style:none}
table{border-collapse:collapse}th,td{border:1px solid #d5d8dd;padding:.2rem .45rem;text-align:left;white-space:nowrap}th{background:#f2f3f5}
.c-fault::before{content:"\\2717\\00a0"}.c-warning::before{content:"!\\00a0"}.c-ok::before{content:"\\2713\\00a0"}.c-info::before{content:"i\\00a0"}
${VERDICT_KINDS.map((k) => `.v-${k}{background:${verdictColour(k)}}`).join('\n')}
`;

/** Runs in the browser: kept small and dependency-free; it only reads messages and writes text. */
const SCRIPT = `
(() => {
  const $ = (id) => document.getElementById(id);
  const columns = [];
  function setProgress(done, total, failed) {
    $('bar').max = Math.max(total, 1); $('bar').value = done;
    $('count').textContent = done + '/' + total + ' nodes, ' + failed + ' failed';
  }
  function verdictCell(td, kind, cls) {
    td.textContent = kind; td.className = 'v-' + kind + (cls ? ' c-' + cls : ''); td.dataset.verdict = kind;
  }
  function addColumns(names) {
    for (const c of names) {
      if (columns.includes(c)) continue;
      columns.push(c);
      const th = document.createElement('th'); th.textContent = c; $('head').appendChild(th);
      for (const tr of $('rows').children) tr.appendChild(document.createElement('td'));
    }
  }
  function addRow(row) {
    addColumns(Object.keys(row.cells));
    const tr = document.createElement('tr'); tr.className = 'node-row'; tr.dataset.node = row.name;
    const th = document.createElement('th'); th.scope = 'row'; th.textContent = row.name; tr.appendChild(th);
    const v = document.createElement('td'); verdictCell(v, row.verdict, row.cls); tr.appendChild(v);
    for (const c of columns) {
      const td = document.createElement('td');
      if (row.cells[c] !== undefined) verdictCell(td, row.cells[c], row.cellClasses[c]);
      tr.appendChild(td);
    }
    $('rows').appendChild(tr);
    if (row.cls === 'fault' || row.cls === 'warning') {
      const li = document.createElement('li'); li.dataset.node = row.name;
      const name = document.createElement('strong'); name.textContent = row.name + ' ';
      const kind = document.createElement('span'); verdictCell(kind, row.verdict, row.cls);
      const causes = document.createElement('ul'); causes.className = 'causes';
      for (const text of row.causes) { const c = document.createElement('li'); c.textContent = text; causes.appendChild(c); }
      li.append(name, kind, causes);
      if (row.cls === 'fault') $('failures').prepend(li); else $('failures').appendChild(li);
      $('nofailures').hidden = true;
    }
  }
  let finished = false;
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + location.pathname.replace(/\\/$/, '') + '/ws');
  ws.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.type === 'snapshot') {
      addColumns(m.state.columns);
      for (const row of m.state.rows) addRow(row);
      setProgress(m.state.done, m.state.total, m.state.failed);
      if (m.state.omitted > 0) $('omitted').textContent = m.state.omitted + ' earlier nodes without problems are not shown';
    } else if (m.type === 'node') {
      addRow(m.row); setProgress(m.done, m.total, m.failed);
    } else if (m.type === 'finished') {
      finished = true; setProgress(m.done, m.total, m.failed);
      $('status').textContent = m.interrupted ? 'run interrupted: the report is written; this page no longer updates' : 'run finished: the report is written; this page no longer updates';
      $('status').className = 'finished';
    }
  };
  ws.onclose = () => { if (!finished) { $('status').textContent = 'connection to the run closed'; $('status').className = 'closed'; } };
})();
`;

export function livePage(opts: { nonce: string; wsOrigin: string; title: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${esc(opts.nonce)}'; style-src 'unsafe-inline'; connect-src ${esc(opts.wsOrigin)}; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(opts.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(opts.title)}</h1>
<div id="progress"><progress id="bar" max="1" value="0"></progress><span id="count">waiting for the run</span><span id="status" role="status">running</span></div>
<h2>Failures</h2>
<p id="nofailures">None so far.</p>
<ul id="failures"></ul>
<h2>Nodes as they finish</h2>
<p id="omitted"></p>
<table id="matrix"><thead><tr id="head"><th>node</th><th>verdict</th></tr></thead><tbody id="rows"></tbody></table>
<script nonce="${esc(opts.nonce)}">${SCRIPT}</script>
</body>
</html>
`;
}
