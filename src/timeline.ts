/**
 * The fleet over time (`twoway history DIR`): the stored runs, oldest first, turned into one strip of
 * verdicts per node and path, with when each broke and was fixed, which flap, and the state now. Paths
 * are matched across runs as `twoway diff` matches them (src/diff.ts: pathKey, the node's own entry
 * under NODE_KEY), and a change is judged by the same table (judgeChange), so the two never disagree.
 *
 * Bounded for thousands of nodes x hundreds of runs: nodes whose every entry passed in every run are
 * only counted (names up to a limit); the rest are grouped by finding: entries with the same column
 * and the same strip are one group listing its members (a subnet-wide outage is one row, not a
 * thousand); at most MAX_GROUPS groups, the worst first (failing now, then flapping, then most
 * breaks), the others counted. Pure.
 */
import { NODE_KEY, judgeChange, pathKey } from './diff.js';
import type { NodeReport, Report } from './report.js';
import { columnOf } from './render/labels.js';
import { VERDICTS, isFailure, worse, type VerdictKind } from './verdicts.js';

export const TIMELINE_VERSION = 1;
export const MAX_GROUPS = 300;
export const MAX_NAMES = 200;
/** Breaks (failing after passing) from which an entry counts as flapping. */
export const FLAP_BREAKS = 2;

export interface TimelineRun {
  id: string;
  startedAt: string;
  interrupted: boolean;
}

export interface TimelineChange {
  /** Index into runs. */
  run: number;
  change: 'broke' | 'fixed' | 'changed';
  from?: VerdictKind;
  to?: VerdictKind;
}

export interface TimelineGroup {
  /** The matrix column ("cb http:63001", "fwd tcp:22"), or "session" for SSH and the agent. */
  column: string;
  /** Members: the node, with the source address where a node has several ("dual from 10.0.4.2"). */
  members: string[];
  /** How many members there are (members lists at most MAX_NAMES). */
  size: number;
  /** One verdict per run (null: not in that run). */
  verdicts: (VerdictKind | null)[];
  changes: TimelineChange[];
  flapping: boolean;
  /** The verdict in the newest run; null: not in it (the node or path is gone). */
  now: VerdictKind | null;
}

export interface Timeline {
  version: typeof TIMELINE_VERSION;
  runs: TimelineRun[];
  nodes: number;
  healthy: { count: number; names: string[] };
  groups: TimelineGroup[];
  /** Groups beyond MAX_GROUPS, and how many entries they held. */
  omitted: { groups: number; entries: number };
}

interface Entry {
  node: string;
  member: string;
  column: string;
  verdicts: (VerdictKind | null)[];
}

/** A node's entries in one run: its own (session) verdict, then each path's, worse on a shared key. */
function entriesOf(node: NodeReport): Map<string, { verdict: VerdictKind; column: string; member: string }> {
  const map = new Map([[NODE_KEY, { verdict: (node.nodeVerdict ?? 'ok') as VerdictKind, column: 'session', member: node.name }]]);
  for (const p of node.paths) {
    const key = pathKey(node, p);
    const seen = map.get(key);
    const member = p.direction === 'callback' && node.addresses.length > 1 ? `${node.name} from ${p.from}` : node.name;
    map.set(key, { verdict: seen === undefined ? p.verdict : worse(seen.verdict, p.verdict), column: columnOf(p), member });
  }
  return map;
}

export function changesOf(verdicts: readonly (VerdictKind | null)[]): TimelineChange[] {
  const changes: TimelineChange[] = [];
  let last: VerdictKind | undefined;
  verdicts.forEach((v, run) => {
    if (v === null) return; // not in this run: compare the next one with the last seen
    // The first run an entry is in: a failure there "broke" as far as the history knows.
    const judged = judgeChange(last, v).change;
    if (judged === 'new-failure') changes.push({ run, change: 'broke', ...(last === undefined ? {} : { from: last }), to: v });
    else if (judged === 'fixed') changes.push({ run, change: 'fixed', from: last, to: v });
    else if (judged === 'changed') changes.push({ run, change: 'changed', from: last, to: v });
    last = v;
  });
  return changes;
}

const failedEver = (verdicts: readonly (VerdictKind | null)[]): boolean => verdicts.some((v) => v !== null && isFailure(v));

/** Worst first: failing now (by severity), then flapping, then by breaks, then by column and first member. */
function rank(a: TimelineGroup, b: TimelineGroup): number {
  const sev = (g: TimelineGroup): number => (g.now === null || !isFailure(g.now) ? -1 : VERDICTS[g.now].severity);
  const breaks = (g: TimelineGroup): number => g.changes.filter((c) => c.change === 'broke').length;
  return sev(b) - sev(a) || Number(b.flapping) - Number(a.flapping) || breaks(b) - breaks(a) || b.size - a.size || (a.column + a.members[0]).localeCompare(b.column + b.members[0]);
}

/** `reports`: the stored runs, oldest first; read one at a time (an iterable), only verdicts are kept. */
export function buildTimeline(reports: Iterable<Report>): Timeline {
  const entries = new Map<string, Entry>();
  const runs: TimelineRun[] = [];
  for (const report of reports) {
    const run = runs.length;
    runs.push({ id: report.run.id, startedAt: report.run.startedAt, interrupted: report.run.interrupted });
    for (const node of report.nodes) {
      for (const [key, e] of entriesOf(node)) {
        const id = `${node.name}\u0000${key}`;
        let entry = entries.get(id);
        if (entry === undefined) {
          entry = { node: node.name, member: e.member, column: e.column, verdicts: [] };
          entries.set(id, entry);
        }
        entry.verdicts[run] = e.verdict;
      }
    }
  }
  // Runs an entry was not in are null (a sparse array has holes, which JSON and join would not show as such).
  for (const e of entries.values()) e.verdicts = Array.from({ length: runs.length }, (_, i) => e.verdicts[i] ?? null);
  const byNode = new Map<string, Entry[]>();
  for (const e of entries.values()) byNode.set(e.node, [...(byNode.get(e.node) ?? []), e]);
  const healthyNames = [...byNode].filter(([, es]) => !es.some((e) => failedEver(e.verdicts))).map(([name]) => name);

  const groups = new Map<string, TimelineGroup>();
  for (const e of entries.values()) {
    if (!failedEver(e.verdicts)) continue;
    const id = `${e.column}\u0000${e.verdicts.join(',')}`;
    const group = groups.get(id);
    if (group !== undefined) {
      group.size += 1;
      if (group.members.length < MAX_NAMES) group.members.push(e.member);
      continue;
    }
    const changes = changesOf(e.verdicts);
    const now = e.verdicts.at(-1) ?? null;
    groups.set(id, { column: e.column, members: [e.member], size: 1, verdicts: e.verdicts, changes, flapping: changes.filter((c) => c.change === 'broke').length >= FLAP_BREAKS, now });
  }
  const ranked = [...groups.values()].sort(rank);
  const kept = ranked.slice(0, MAX_GROUPS);
  const dropped = ranked.slice(MAX_GROUPS);
  return {
    version: TIMELINE_VERSION,
    runs,
    nodes: byNode.size,
    healthy: { count: healthyNames.length, names: healthyNames.slice(0, MAX_NAMES) },
    groups: kept,
    omitted: { groups: dropped.length, entries: dropped.reduce((a, g) => a + g.size, 0) },
  };
}
