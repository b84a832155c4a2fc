/**
 * `twoway history` as text and JSON. The text shows each group (src/timeline.ts) as a strip of one
 * character per run, oldest left: `.` passed, `!` warning, `x` fault, `?` not measured, ` ` not in
 * that run; then when it broke and was fixed, and whether it flaps.
 */
import { VERDICTS, type VerdictKind } from '../verdicts.js';
import type { Timeline, TimelineChange, TimelineGroup } from '../timeline.js';

/** Runs a text strip shows at most: the newest. */
export const TEXT_STRIP_RUNS = 60;
/** Changes listed per group at most: the newest. */
export const CHANGES_SHOWN = 6;
/** Members named per group in the text at most. */
const NAMES_SHOWN = 8;

export function stripChar(v: VerdictKind | null): string {
  if (v === null) return ' ';
  if (v === 'not-measured') return '?';
  const cls = VERDICTS[v].class;
  return cls === 'fault' ? 'x' : cls === 'warning' ? '!' : '.';
}

export function changeText(c: TimelineChange, runId: string): string {
  if (c.change === 'broke') return c.from === undefined ? `failing (${c.to}) from ${runId}` : `broke (${c.to}) at ${runId}`;
  if (c.change === 'fixed') return `fixed at ${runId}`;
  return `${c.from} -> ${c.to} at ${runId}`;
}

export function membersText(g: TimelineGroup, shown: number): string {
  const names = g.members.slice(0, shown).join(', ');
  return g.size > shown ? `${names} and ${g.size - shown} more` : names;
}

function groupLines(t: Timeline, g: TimelineGroup): string[] {
  const strip = g.verdicts.map(stripChar).join('');
  const shown = strip.length > TEXT_STRIP_RUNS ? `…${strip.slice(-TEXT_STRIP_RUNS)}` : strip;
  const changes = g.changes.slice(-CHANGES_SHOWN).map((c) => changeText(c, t.runs[c.run]!.id));
  const earlier = g.changes.length > CHANGES_SHOWN ? [`${g.changes.length - CHANGES_SHOWN} earlier changes`] : [];
  return [
    `${(g.now ?? 'gone').padEnd(16)} ${g.column.padEnd(16)} |${shown}|${g.flapping ? ' flapping' : ''}`,
    `    ${g.size} ${g.size === 1 ? 'entry' : 'entries'}: ${membersText(g, NAMES_SHOWN)}`,
    ...(changes.length > 0 ? [`    ${[...earlier, ...changes].join('; ')}`] : []),
  ];
}

export function renderHistoryText(t: Timeline, dir: string): string {
  if (t.runs.length === 0) return `No stored runs in ${dir}.\n`;
  const first = t.runs[0]!;
  const last = t.runs.at(-1)!;
  const lines = [
    `History of ${t.runs.length} run${t.runs.length === 1 ? '' : 's'} in ${dir}: ${first.id} .. ${last.id} (strips oldest to newest: . passed, ! warning, x fault, ? not measured)`,
    `${t.nodes} node(s); ${t.healthy.count} passed in every run${t.healthy.count > 0 ? `: ${t.healthy.names.slice(0, NAMES_SHOWN).join(', ')}${t.healthy.count > NAMES_SHOWN ? ', ...' : ''}` : ''}`,
    '',
    ...(t.groups.length === 0 ? ['Nothing failed in any stored run.'] : [`${'NOW'.padEnd(16)} ${'PATH'.padEnd(16)} RUNS`, ...t.groups.flatMap((g) => groupLines(t, g))]),
    ...(t.omitted.groups > 0 ? ['', `${t.omitted.groups} more group(s) (${t.omitted.entries} entries) not shown`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

export function renderHistoryJson(t: Timeline): string {
  return `${JSON.stringify(t, null, 2)}\n`;
}
