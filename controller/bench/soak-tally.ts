/**
 * The false-alarm soak's bookkeeping (pure): healthy nodes checked several times in a row must come
 * out `ok` every time. A false alarm is any node verdict other than `ok`, or any path whose verdict is
 * a warning or a fault; information (a closed port the update manager needs only a path to) is
 * counted apart and is not an alarm, as it never colours a node (src/verdicts.ts).
 */
import type { Report } from '../../src/report.js';
import { VERDICTS, type VerdictClass, type VerdictKind } from '../../src/verdicts.js';

export interface FalseAlarm {
  run: number;
  node: string;
  /** The node's verdict, or the path's for a path alarm. */
  verdict: VerdictKind;
  /** "node", or the path as "direction port". */
  where: string;
  summary: string;
}

export interface SoakTally {
  runs: number;
  /** Node verdicts seen, over every run. */
  nodeVerdicts: number;
  /** Path verdicts by class, over every run. */
  pathClasses: Record<VerdictClass, number>;
  alarms: FalseAlarm[];
  /** Runs whose exit code was not 0, or that were interrupted. */
  failedRuns: { run: number; exitCode: number | null; interrupted: boolean }[];
  /** Nodes of the inventory a run gave no result for. */
  missing: { run: number; node: string }[];
}

export function emptyTally(): SoakTally {
  return { runs: 0, nodeVerdicts: 0, pathClasses: { ok: 0, info: 0, warning: 0, fault: 0 }, alarms: [], failedRuns: [], missing: [] };
}

/** Adds one run's report (undefined when the run wrote none) to the tally; returns the new tally. */
export function tallyRun(tally: SoakTally, run: number, expectedNodes: readonly string[], exitCode: number | null, report: Report | undefined): SoakTally {
  const next: SoakTally = {
    runs: tally.runs + 1,
    nodeVerdicts: tally.nodeVerdicts,
    pathClasses: { ...tally.pathClasses },
    alarms: [...tally.alarms],
    failedRuns: [...tally.failedRuns],
    missing: [...tally.missing],
  };
  const interrupted = report?.run.interrupted ?? false;
  if (exitCode !== 0 || interrupted) next.failedRuns.push({ run, exitCode, interrupted });
  const seen = new Set(report?.nodes.map((n) => n.name) ?? []);
  for (const node of expectedNodes) if (!seen.has(node)) next.missing.push({ run, node });
  for (const node of report?.nodes ?? []) {
    next.nodeVerdicts += 1;
    if (node.verdict !== 'ok') next.alarms.push({ run, node: node.name, verdict: node.verdict, where: 'node', summary: VERDICTS[node.verdict].title });
    for (const path of node.paths) {
      const cls = VERDICTS[path.verdict].class;
      next.pathClasses[cls] += 1;
      if (cls === 'warning' || cls === 'fault') {
        next.alarms.push({ run, node: node.name, verdict: path.verdict, where: `${path.direction} ${path.port}`, summary: path.summary });
      }
    }
  }
  return next;
}

/** True when the soak found nothing: every run exited 0, every node answered, no alarm. */
export function soakClean(t: SoakTally): boolean {
  return t.runs > 0 && t.alarms.length === 0 && t.failedRuns.length === 0 && t.missing.length === 0;
}

/** The soak's closing lines, for the terminal. */
export function describeTally(t: SoakTally, nodes: number): string[] {
  const c = t.pathClasses;
  const lines = [
    `soak: ${t.runs} run(s) of ${nodes} healthy node(s): ${t.nodeVerdicts} node verdicts, ${t.alarms.length} false alarm(s); ` +
      `paths ${c.ok} ok, ${c.info} info, ${c.warning} warning, ${c.fault} fault`,
  ];
  for (const r of t.failedRuns) lines.push(`soak: run ${r.run} exited ${r.exitCode ?? 'by a signal'}${r.interrupted ? ' (interrupted)' : ''}`);
  for (const m of t.missing) lines.push(`soak: run ${m.run}: no result for ${m.node}`);
  for (const a of t.alarms) lines.push(`soak: run ${a.run}: ${a.node} ${a.where}: ${a.verdict}: ${a.summary}`);
  return lines;
}
