/**
 * The HTML report: one self-contained page (inline CSS and SVG, no script, no external fetch; a
 * Content Security Policy forbids any load). The story comes first, readable without a click
 * (src/render/html-story.ts: what is wrong, the fleet findings, each failing node's cause, a drawing
 * of each failing path and the fixes), then the run's facts, then the node x path matrix with one
 * evidence panel per cell (src/render/html-matrix.ts), shown with CSS :target, so the page works in
 * any browser, from a mail attachment, with scripts off, and on paper (@media print).
 * Everything taken from the report is escaped.
 */
import { getRunExitCode, type Report } from '../report.js';
import { VERDICTS, VERDICT_KINDS, type VerdictKind } from '../verdicts.js';
import { columnsOf } from './labels.js';
import { hostPort } from '../endpoint.js';
import { shardLabel } from '../shard.js';
import { escapeHtml as esc } from './html-escape.js';
import { staticPage } from './html-page.js';
import { matrixHtml, verdictSpan } from './html-matrix.js';
import { storyHtml } from './html-story.js';
import { LADDER_STYLE } from './html-svg-ladder.js';
import { SEQUENCE_STYLE } from './html-svg-sequence.js';
import { STRAYS_TITLE, strayLines } from './strays.js';

export { escapeHtml } from './html-escape.js';

/** Background colour of a verdict: green ok, amber to red by severity; harness faults purple, not-measured grey. */
export function verdictColour(kind: VerdictKind): string {
  if (kind === 'not-measured') return '#c9ccd1';
  const info = VERDICTS[kind];
  if (info.harness) return '#c9a8e8';
  return ['#a8dcb0', '#f5d98b', '#f5b97f', '#f29b9b'][info.severity]!;
}

/** Information blue: a callback the update manager does not need, whatever its verdict (after the verdict colours, so it wins). */
export const NOT_NEEDED_COLOUR = '#c4dcf2';

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
.not-needed{background:${NOT_NEEDED_COLOUR}}
.c-fault::before{content:"\\2717\\00a0"}.c-warning::before{content:"!\\00a0"}.c-ok::before{content:"\\2713\\00a0"}.c-info::before{content:"i\\00a0"}
.headline{font-size:1.15rem;font-weight:600;padding:.5rem .75rem;border-left:6px solid #b3261e;background:#fdf1f0}
.headline.c-ok{border-color:#1e6b2a;background:#eef8f0}.headline.c-warning{border-color:#a86400;background:#fff7e6}
.node-story{border:1px solid #d5d8dd;border-left:6px solid #b3261e;border-radius:4px;padding:.25rem 1rem .75rem;margin:0 0 1rem}
.node-story.c-warning{border-left-color:#a86400}.node-story::before,.headline::before{content:none}
.node-story h3 span,.path-story h4 span{padding:0 .35rem;border-radius:3px;font-weight:600}
.facts{color:#4a4f57;margin:.1rem 0 .5rem}.why{color:#4a4f57}.path-story{margin:.75rem 0 0;padding-top:.25rem;border-top:1px dashed #d5d8dd}
ol.steps{margin:.25rem 0;padding-left:1.5rem;font-size:13px}ol.steps li.stop{font-weight:700}
.stops-at{border-left:4px solid #b3261e;padding-left:.5rem}
tr.addr-row th{font-weight:400;padding-left:1.25rem;background:#fff}tr.addr-row td{font-size:12px}
h4{font-size:.95rem;margin:.75rem 0 .25rem}
#glance{margin:.75rem 0}#glance td{white-space:normal}#glance td:nth-child(2){white-space:nowrap}#glance td span{padding:0 .3rem;border-radius:3px}
${SEQUENCE_STYLE}${LADDER_STYLE}
@media print{
 body{margin:0;font-size:11px}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .panel,.panel:target,.noprint{display:none!important}td a{display:inline}
 .node-story,.path-story,svg,tr{break-inside:avoid}pre{white-space:pre-wrap}
}
`;

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
    ...(run.merged === undefined ? [] : [['merged from', esc(run.merged.map((m) => `${m.file} (${m.shard === undefined ? '' : `shard ${shardLabel(m.shard)}, `}run ${m.id}, ${m.nodes} node(s))`).join(', '))] as [string, string]]),
  ];
  return `<section id="summary"><dl class="summary">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></section>`;
}

/** Requests no planned probe made, grouped by source and reason: a warning that someone else talks to these ports. */
function straysHtml(report: Report): string {
  const lines = strayLines(report);
  if (lines.length === 0) return '';
  return `<section id="strays"><h2>${esc(STRAYS_TITLE)}</h2><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></section>`;
}

function legendHtml(): string {
  const notNeeded = '<span class="not-needed c-info" title="a callback the update manager does not need (--manager): information, whatever its verdict">not needed</span>';
  return `<p class="legend">${VERDICT_KINDS.map((k) => verdictSpan(k)).join('')}${notNeeded}</p>`;
}

export function renderHtml(report: Report): string {
  const { table, panels } = matrixHtml(report, columnsOf(report.nodes));
  const title = `twoway run ${report.run.id}`;
  const sections = [
    storyHtml(report),
    `<h2>Run</h2>${summaryHtml(report)}`,
    straysHtml(report),
    table,
    legendHtml(),
    ...panels,
  ];
  return staticPage(title, STYLE, sections.join('\n'));
}
