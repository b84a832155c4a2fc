/**
 * `twoway history DIR --html FILE`: the fleet over time as one self-contained page (no script, no
 * fetch). Per group of paths with the same history (src/timeline.ts), a strip of runs drawn as an
 * inline SVG, oldest left: each stretch of runs with one verdict is one bar, its height telling the
 * class (a fault full height, a warning two thirds, a pass a third, a gap where the path was not in
 * the run), its colour repeating it; then the state now, when it broke and was fixed, whether it
 * flaps, and its members. Healthy nodes are folded into one line.
 */
import { VERDICTS, VERDICT_KINDS, type VerdictKind } from '../verdicts.js';
import type { Timeline, TimelineGroup } from '../timeline.js';
import { escapeHtml as esc } from './html-escape.js';
import { staticPage } from './html-page.js';
import { verdictColour } from './html.js';
import { CHANGES_SHOWN, changeText, membersText } from './history.js';

const STRIP_W = 640;
const STRIP_H = 22;
/** Members named in a row before the rest are folded into a <details>. */
const NAMES_INLINE = 6;

function barHeight(v: VerdictKind): number {
  const cls = VERDICTS[v].class;
  return cls === 'fault' ? STRIP_H : cls === 'warning' ? Math.round((STRIP_H * 2) / 3) : Math.round(STRIP_H / 3);
}

/** Runs of equal verdicts, so a strip of hundreds of runs is a handful of bars. */
function stretches(verdicts: readonly (VerdictKind | null)[]): { from: number; to: number; v: VerdictKind | null }[] {
  const out: { from: number; to: number; v: VerdictKind | null }[] = [];
  verdicts.forEach((v, i) => {
    const last = out.at(-1);
    if (last !== undefined && last.v === v) last.to = i;
    else out.push({ from: i, to: i, v });
  });
  return out;
}

function stripSvg(t: Timeline, g: TimelineGroup): string {
  const cell = STRIP_W / Math.max(1, t.runs.length);
  const bars = stretches(g.verdicts)
    .filter((s) => s.v !== null)
    .map((s) => {
      const v = s.v!;
      const h = barHeight(v);
      const runs = s.from === s.to ? t.runs[s.from]!.id : `${t.runs[s.from]!.id} .. ${t.runs[s.to]!.id}`;
      return `<rect x="${(s.from * cell).toFixed(2)}" y="${STRIP_H - h}" width="${((s.to - s.from + 1) * cell).toFixed(2)}" height="${h}" class="v-${v}" data-verdict="${v}"><title>${esc(`${runs}: ${v}`)}</title></rect>`;
    })
    .join('');
  const desc = stretches(g.verdicts)
    .map((s) => `${s.to - s.from + 1} run${s.from === s.to ? '' : 's'} ${s.v ?? 'absent'}`)
    .join(', ');
  return `<svg class="strip" role="img" aria-label="${esc(`oldest to newest: ${desc}`)}" viewBox="0 0 ${STRIP_W} ${STRIP_H}" width="${STRIP_W}" height="${STRIP_H}"><line x1="0" y1="${STRIP_H - 0.5}" x2="${STRIP_W}" y2="${STRIP_H - 0.5}" class="axis"/>${bars}</svg>`;
}

function membersHtml(g: TimelineGroup): string {
  if (g.size <= NAMES_INLINE) return esc(g.members.join(', '));
  const rest = g.size - g.members.length;
  return `<details><summary>${esc(membersText(g, NAMES_INLINE))}</summary>${esc(g.members.join(', '))}${rest > 0 ? esc(` and ${rest} more`) : ''}</details>`;
}

function rowHtml(t: Timeline, g: TimelineGroup): string {
  const now = g.now === null ? '<span class="gone">gone</span>' : `<span class="v-${g.now} c-${VERDICTS[g.now].class}">${esc(g.now)}</span>`;
  const changes = g.changes.slice(-CHANGES_SHOWN).map((c) => `<li class="${c.change}">${esc(changeText(c, t.runs[c.run]!.id))}</li>`);
  const earlier = g.changes.length > CHANGES_SHOWN ? `<li>${g.changes.length - CHANGES_SHOWN} earlier changes</li>` : '';
  return `<tr data-column="${esc(g.column)}" data-now="${g.now ?? 'gone'}"${g.flapping ? ' class="flapping"' : ''}><td>${now}${g.flapping ? ' <strong class="flap">flapping</strong>' : ''}</td><th scope="row">${esc(g.column)}</th><td>${stripSvg(t, g)}<ul class="changes">${earlier}${changes.join('')}</ul></td><td>${g.size}</td><td>${membersHtml(g)}</td></tr>`;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d1f23;background:#fff}
h1{font-size:1.4rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin:1.25rem 0 .5rem}
table{border-collapse:collapse}th,td{border:1px solid #d5d8dd;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f2f3f5}
td span[class^="v-"]{padding:0 .3rem;border-radius:3px;white-space:nowrap}
svg.strip{display:block;max-width:100%;height:auto}svg .axis{stroke:#8a8f98;stroke-width:1}
ul.changes{margin:.2rem 0 0;padding-left:1.1rem;font-size:12px;color:#4a4f57}ul.changes li.broke{color:#8c1d18}ul.changes li.fixed{color:#1e6b2a}
.flap{color:#8c1d18}.gone{color:#8a8f98}.runs{color:#4a4f57}
.c-fault::before{content:"\\2717\\00a0"}.c-warning::before{content:"!\\00a0"}.c-ok::before{content:"\\2713\\00a0"}.c-info::before{content:"i\\00a0"}
${VERDICT_KINDS.map((k) => `.v-${k}{background:${verdictColour(k)};fill:${verdictColour(k)}}`).join('\n')}
@media print{body{margin:0;font-size:11px}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}tr{break-inside:avoid}}
`;

export function renderHistoryHtml(t: Timeline, dir: string): string {
  const title = `twoway history: ${dir}`;
  const span = t.runs.length === 0 ? 'no stored runs' : `${t.runs.length} runs, ${t.runs[0]!.startedAt} to ${t.runs.at(-1)!.startedAt}`;
  const failingNow = t.groups.filter((g) => g.now !== null && VERDICTS[g.now].class === 'fault').reduce((a, g) => a + g.size, 0);
  const flapping = t.groups.filter((g) => g.flapping).reduce((a, g) => a + g.size, 0);
  const healthy =
    t.healthy.count === 0
      ? ''
      : `<details id="healthy"><summary>${t.healthy.count} node${t.healthy.count === 1 ? '' : 's'} passed in every run</summary>${esc(t.healthy.names.join(', '))}${t.healthy.count > t.healthy.names.length ? esc(` and ${t.healthy.count - t.healthy.names.length} more`) : ''}</details>`;
  const table =
    t.groups.length === 0
      ? '<p>Nothing failed in any stored run.</p>'
      : `<table id="timeline"><thead><tr><th>now</th><th>path</th><th>runs, oldest to newest</th><th>entries</th><th>nodes</th></tr></thead><tbody>${t.groups.map((g) => rowHtml(t, g)).join('')}</tbody></table>`;
  const omitted = t.omitted.groups > 0 ? `<p>${t.omitted.groups} more group(s) (${t.omitted.entries} entries), with milder histories, are not shown.</p>` : '';
  return staticPage(title, STYLE, `<p class="runs">${esc(span)}. ${t.nodes} nodes: ${failingNow} path(s) failing now, ${flapping} flapping. Paths with the same history are one row; hover a bar for its runs. Bar height: fault full, warning two thirds, pass one third.</p>
${healthy}
<h2>Paths that failed in any run</h2>
${table}
${omitted}`);
}
