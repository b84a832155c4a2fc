/**
 * The HTML report: one self-contained page (inline CSS, no script, no external fetch; a Content
 * Security Policy forbids any load) with the run's summary, the node x path matrix coloured by
 * verdict, the fleet findings, and one evidence panel per cell. A cell is a link to its panel, shown
 * with CSS :target, so the page works in any browser, from a mail attachment, and with scripts off.
 * Everything taken from the report is escaped.
 */
import { findingFor, getRunExitCode, type NodeReport, type PathReport, type Remedy, type Report } from '../report.js';
import { VERDICTS, VERDICT_KINDS, type VerdictKind } from '../verdicts.js';
import { cellVerdict, columnsOf, pathLabel, pathsIn } from './labels.js';
import { hostPort } from '../endpoint.js';
import { STRAYS_TITLE, strayLines, tokenStrayLine } from './strays.js';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
const esc = escapeHtml;

/** Background colour of a verdict: green ok, amber to red by severity; harness faults purple, not-measured grey. */
export function verdictColour(kind: VerdictKind): string {
  if (kind === 'not-measured') return '#c9ccd1';
  const info = VERDICTS[kind];
  if (info.harness) return '#c9a8e8';
  return ['#a8dcb0', '#f5d98b', '#f5b97f', '#f29b9b'][info.severity]!;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d1f23;background:#fff}
h1{font-size:1.4rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse}th,td{border:1px solid #d5d8dd;padding:.25rem .5rem;text-align:left;white-space:nowrap}
th{background:#f2f3f5}
td a{display:block;color:inherit;text-decoration:none}td a:hover,td a:focus{outline:2px solid #1d1f23}
td.empty{color:#8a8f98;text-align:center}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem;margin:0}dt{font-weight:600}dd{margin:0}
pre{background:#f6f7f9;border:1px solid #e1e4e8;padding:.5rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
.legend span{display:inline-block;padding:.1rem .4rem;margin:.1rem;border-radius:3px}
.panel{display:none}
.panel:target{display:block;position:fixed;top:0;right:0;bottom:0;width:min(52rem,70vw);overflow:auto;background:#fff;border-left:3px solid #1d1f23;padding:1rem 1.5rem;box-shadow:-4px 0 16px rgba(0,0,0,.2)}
.panel .close{float:right}
.finding{border-left:4px solid #f29b9b;padding-left:.75rem;margin-bottom:1rem}
${VERDICT_KINDS.map((k) => `.v-${k}{background:${verdictColour(k)}}`).join('\n')}
`;

function verdictSpan(kind: VerdictKind): string {
  return `<span class="v-${kind}" title="${esc(VERDICTS[kind].title)}">${esc(kind)}</span>`;
}

function remediesHtml(remedies: readonly Remedy[] | undefined): string {
  return (remedies ?? []).map((r) => `<h3>${esc(r.title)} <small>(${esc(r.where)})</small></h3><pre>${esc(r.lines.join('\n'))}</pre>`).join('');
}

function jsonBlock(value: unknown): string {
  return `<pre class="evidence">${esc(JSON.stringify(value, null, 2))}</pre>`;
}

function nicList(node: NodeReport): string {
  if (node.nics === undefined || node.nics.length === 0) return '';
  const items = node.nics.map((nic) => {
    const name = nic.iface === undefined ? nic.address : `${nic.address} (${nic.iface})`;
    const use = nic.reaches.length > 0 ? `calls back to ${nic.reaches.join(', ')}` : 'reaches no controller address';
    return `<li>NIC ${esc(name)}: ${esc(use)}${nic.fails.length > 0 ? esc(`; fails toward ${nic.fails.join(', ')}`) : ''}</li>`;
  });
  return `<h3>NICs</h3><ul>${items.join('')}</ul>`;
}

function pathSection(report: Report, node: NodeReport, p: PathReport): string {
  const info = VERDICTS[p.verdict];
  const shared = findingFor(report.findings, node, p);
  const advice = shared !== undefined ? `<p>Shared cause: ${esc(shared.summary)} (see Fleet findings)</p>` : info.severity > 0 ? `<p>Fix: ${esc(info.hint)}</p>` : '';
  return `<h3>${verdictSpan(p.verdict)} ${esc(pathLabel(p))}</h3><p>${esc(p.summary)}</p>${advice}${jsonBlock(p.evidence)}`;
}

function panel(id: string, title: string, body: string): string {
  return `<section class="panel" id="${id}"><a class="close" href="#matrix">close</a><h2>${title}</h2>${body}</section>`;
}

function nodePanel(node: NodeReport, i: number): string {
  const facts: [string, string][] = [
    ['verdict', `${node.verdict} (${VERDICTS[node.verdict].title})`],
    ['addresses', node.addresses.join(', ')],
    ['profile', node.profile],
    ['callback addresses', node.callbackAddresses.join(', ')],
    ...(node.sshAddress === undefined ? [] : [['SSH used', node.sshAddress] as [string, string]]),
    ...(node.agent === undefined ? [] : [['agent', `${node.agent.flavour} ${node.agent.version} (${node.agent.runtime}, ${node.agent.platform})`] as [string, string]]),
    ['time', `${(node.ms / 1000).toFixed(1)} s`],
  ];
  const nodeFault =
    node.nodeVerdict === undefined
      ? ''
      : `<h3>${verdictSpan(node.nodeVerdict)} ${esc(VERDICTS[node.nodeVerdict].title)}</h3><p>${esc(VERDICTS[node.nodeVerdict].explanation)}</p><p>Fix: ${esc(VERDICTS[node.nodeVerdict].hint)}</p>${jsonBlock(node.nodeEvidence ?? {})}`;
  const tokenStrays =
    node.tokenStrays === undefined ? '' : `<h3>Its token came from addresses not its own</h3><ul>${node.tokenStrays.map((s) => `<li>${esc(tokenStrayLine(s))}</li>`).join('')}</ul>`;
  const body = `<dl class="summary">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>${nodeFault}${nicList(node)}${tokenStrays}${
    node.remedies === undefined ? '' : `<h3>Fixes for ${esc(node.name)}</h3>${remediesHtml(node.remedies)}`
  }`;
  return panel(`node-${i}`, esc(node.name), body);
}

function cellPanel(report: Report, node: NodeReport, nodeIndex: number, paths: readonly PathReport[], id: string, column: string): string {
  const fixes = node.remedies === undefined ? '' : `<h3>Fixes for ${esc(node.name)}</h3>${remediesHtml(node.remedies)}`;
  const nodeFault = node.nodeVerdict === undefined ? '' : `<p>Node: ${verdictSpan(node.nodeVerdict)} ${esc(VERDICTS[node.nodeVerdict].title)} (<a href="#node-${nodeIndex}">details</a>)</p>`;
  return panel(id, `${esc(node.name)}: ${esc(column)}`, `${nodeFault}${paths.map((p) => pathSection(report, node, p)).join('')}${fixes}`);
}

function summaryHtml(report: Report): string {
  const run = report.run;
  const counts = VERDICT_KINDS.filter((k) => report.summary[k] > 0).map((k) => `${verdictSpan(k)} ${report.summary[k]}`);
  const rows: [string, string][] = [
    ['run', esc(run.id)],
    ['started', esc(run.startedAt)],
    ['finished', esc(run.finishedAt)],
    ['duration', `${(run.ms / 1000).toFixed(1)} s${run.interrupted ? ' (interrupted)' : ''}`],
    ['nodes', `${report.summary.nodes}, ${report.summary.failedNodes} with problems`],
    ['node verdicts', counts.join(' ')],
    ['exit code', String(getRunExitCode(report))],
    ['listeners', esc(run.controller.listeners.map((l) => `${l.proto}://${hostPort(l.address, l.port)}`).join(', '))],
    ['certificate', `<code>${esc(run.controller.fingerprint256)}</code>`],
  ];
  return `<section id="summary"><dl class="summary">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></section>`;
}

function straysHtml(report: Report): string {
  const lines = strayLines(report);
  if (lines.length === 0) return '';
  return `<section id="strays"><h2>${esc(STRAYS_TITLE)}</h2><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></section>`;
}

function findingsHtml(report: Report): string {
  if (report.findings.length === 0) return '';
  const items = report.findings.map(
    (f) =>
      `<div class="finding">${verdictSpan(f.verdict)} <strong>${esc(f.scope === 'controller' ? 'controller' : f.where)}</strong> ${esc(f.summary)}<p>Nodes: ${esc(f.nodes.join(', '))}</p>${remediesHtml(f.remedies)}</div>`,
  );
  return `<section id="findings"><h2>Fleet findings</h2>${items.join('')}</section>`;
}

function matrixHtml(report: Report, columns: readonly string[]): { table: string; panels: string[] } {
  const panels: string[] = [];
  const rows = report.nodes.map((node, i) => {
    panels.push(nodePanel(node, i));
    const cells = columns.map((column, j) => {
      const paths = pathsIn(node, column);
      const kind = cellVerdict(paths);
      if (kind === undefined) return '<td class="empty">-</td>';
      const id = `cell-${i}-${j}`;
      panels.push(cellPanel(report, node, i, paths, id, column));
      const tip = paths.map((p) => `${pathLabel(p)}: ${p.summary}`).join('\n');
      return `<td class="cell v-${kind}" data-verdict="${kind}" data-paths="${paths.length}"><a href="#${id}" title="${esc(tip)}">${esc(kind)}</a></td>`;
    });
    return `<tr><th scope="row">${esc(node.name)}</th><td class="nodecell v-${node.verdict}" data-verdict="${node.verdict}"><a href="#node-${i}">${esc(node.verdict)}</a></td>${cells.join('')}</tr>`;
  });
  const head = `<tr><th>node</th><th>verdict</th>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  return { table: `<section id="matrix"><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></section>`, panels };
}

function legendHtml(): string {
  return `<p class="legend">${VERDICT_KINDS.map((k) => verdictSpan(k)).join('')}</p>`;
}

export function renderHtml(report: Report): string {
  const { table, panels } = matrixHtml(report, columnsOf(report.nodes));
  const title = `twoway run ${report.run.id}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
${summaryHtml(report)}
<h2>Node x path matrix</h2>
<p>Click a cell for its evidence and fixes.</p>
${table}
${legendHtml()}
${findingsHtml(report)}
${straysHtml(report)}
${panels.join('\n')}
</body>
</html>
`;
}
