/**
 * The Nagios/Icinga plug-in output (`--nagios`): one status line, `TWOWAY STATE - summary | perfdata`,
 * then one long-output line per node with a fault or warning (Nagios shows the first line, keeps the
 * rest as long output). Exit codes per the plug-in guidelines: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 * The state is the report's own: any fault is CRITICAL, else any warning is WARNING, else OK; a run
 * that could not run (bad input) or was interrupted (only part of the fleet measured) is UNKNOWN.
 * Performance data follows the guidelines' `'label'=value[UOM];[warn];[crit];[min];[max]`; the
 * thresholds written are the ones this mapping applies (a fault is critical, a warning warns).
 */
import type { NodeReport, Report } from '../report.js';
import { VERDICTS } from '../verdicts.js';
import { failingPaths, nodeClass, pathLabel } from './labels.js';

export const NAGIOS_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
export type NagiosState = (typeof NAGIOS_STATES)[number];

/** The plug-in exit code of a state: its index (0 OK .. 3 UNKNOWN). */
export function nagiosExitCode(state: NagiosState): 0 | 1 | 2 | 3 {
  return NAGIOS_STATES.indexOf(state) as 0 | 1 | 2 | 3;
}

/** Nodes named in the status line; the rest are counted ("and 12 more"), so the line stays short. */
const NAMED_NODES = 5;
/** Long-output lines at most: a monitoring system keeps a few kilobytes of plug-in output. */
const LONG_LINES = 50;

/** Text from the report made safe for the plug-in line: no pipe (it starts the perfdata), no line break. */
function plain(text: string): string {
  return text.replace(/\|/g, '/').replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
}

export interface NodeCounts {
  nodes: number;
  faults: number;
  warnings: number;
  info: number;
}

/** Nodes by their class: faults are nodes with any fault, warnings nodes with a warning and no fault, info nodes with only information. */
export function countNodes(report: Report): NodeCounts {
  const classes = report.nodes.map(nodeClass);
  const count = (c: string): number => classes.filter((x) => x === c).length;
  return { nodes: report.nodes.length, faults: count('fault'), warnings: count('warning'), info: count('info') };
}

export function nagiosState(report: Report): NagiosState {
  if (report.run.interrupted) return 'UNKNOWN';
  const counts = countNodes(report);
  return counts.faults > 0 ? 'CRITICAL' : counts.warnings > 0 ? 'WARNING' : 'OK';
}

/** The worst verdict of a node that is not ok, for the status line: "web1 blocked". */
function nodeWord(node: NodeReport): string {
  return `${plain(node.name)} ${node.verdict}`;
}

function namedList(nodes: readonly NodeReport[]): string {
  const named = nodes.slice(0, NAMED_NODES).map(nodeWord).join(', ');
  return nodes.length > NAMED_NODES ? `${named} and ${nodes.length - NAMED_NODES} more` : named;
}

function perfdata(report: Report, counts: NodeCounts): string {
  const n = counts.nodes;
  return [
    `nodes=${n};;;0`,
    `faults=${counts.faults};;0;0;${n}`,
    `warnings=${counts.warnings};0;;0;${n}`,
    `info=${counts.info};;;0;${n}`,
    `duration=${(report.run.ms / 1000).toFixed(1)}s;;;0`,
  ].join(' ');
}

function summary(report: Report, state: NagiosState, counts: NodeCounts): string {
  const of = `of ${counts.nodes} node${counts.nodes === 1 ? '' : 's'}`;
  const faulty = report.nodes.filter((n) => nodeClass(n) === 'fault');
  const warned = report.nodes.filter((n) => nodeClass(n) === 'warning');
  const parts: string[] = [];
  if (faulty.length > 0) parts.push(`${faulty.length} ${of} with faults: ${namedList(faulty)}`);
  if (warned.length > 0) parts.push(`${warned.length} ${faulty.length > 0 ? 'with warnings' : `${of} with warnings`}: ${namedList(warned)}`);
  const body = parts.length > 0 ? parts.join('; ') : `all ${counts.nodes} nodes pass both ways`;
  return state === 'UNKNOWN' ? `run interrupted, measured only in part; ${body}` : body;
}

/** One long-output line per failed session and failing path, nodes with faults first; a failed session's unmeasured paths go unsaid. */
function longOutput(report: Report): string[] {
  const lines: string[] = [];
  for (const cls of ['fault', 'warning'] as const) {
    for (const node of report.nodes.filter((n) => nodeClass(n) === cls)) {
      if (node.nodeVerdict !== undefined) lines.push(`${node.name}: ${node.nodeVerdict}: ${VERDICTS[node.nodeVerdict].title}`);
      for (const p of failingPaths(node)) {
        lines.push(`${node.name}: ${pathLabel(p)}: ${p.verdict}${p.summary === '' ? '' : `: ${p.summary}`}`);
      }
    }
  }
  const shown = lines.slice(0, LONG_LINES).map(plain);
  return lines.length > LONG_LINES ? [...shown, `... and ${lines.length - LONG_LINES} more (see the full report)`] : shown;
}

/** The plug-in output for a finished run and its exit code. */
export function renderNagios(report: Report): { text: string; exitCode: 0 | 1 | 2 | 3 } {
  const state = nagiosState(report);
  const counts = countNodes(report);
  const text = [`TWOWAY ${state} - ${plain(summary(report, state, counts))} | ${perfdata(report, counts)}`, ...longOutput(report)].join('\n');
  return { text: `${text}\n`, exitCode: nagiosExitCode(state) };
}

/** The plug-in output when the run could not run at all (bad input, an internal error): UNKNOWN. */
export function renderNagiosUnknown(reason: string): { text: string; exitCode: 3 } {
  return { text: `TWOWAY UNKNOWN - could not run: ${plain(reason)}\n`, exitCode: 3 };
}
