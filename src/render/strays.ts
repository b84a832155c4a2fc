/**
 * The listener's strays, as every renderer words them: requests and connections it refused, grouped
 * by source and reason. A warning (someone else is talking to the update manager's ports), never a
 * node's fault: each group counts as one warning in the summary. The text came partly from the
 * network (paths), so it is made plain and bounded here.
 */
import type { Report, StraySummary } from '../report.js';
import { plainLine } from './plain-text.js';

export const STRAYS_TITLE = "Strays: someone else is talking to the update manager's ports";

/** Warnings the strays add to the summary: one per source and reason. */
export function strayWarnings(report: Report): number {
  return report.run.strays?.length ?? 0;
}

/** One line for a group, e.g. `10.0.0.9: 12 x unknown token (port 8080; /tw/hello)`. */
export function strayLine(s: StraySummary): string {
  const where = [
    s.node === undefined ? '' : `${s.node}'s token`,
    s.ports.length === 0 ? '' : `port ${s.ports.join(', ')}`,
    s.paths.map((p) => plainLine(p, 64)).join(', '),
  ].filter((w) => w !== '');
  return `${plainLine(s.source, 64)}: ${s.count} x ${plainLine(s.reason, 120)}${where.length === 0 ? '' : ` (${where.join('; ')})`}`;
}

/** A node's own line for a group that carried its token: where the token came from and why it was refused. */
export function tokenStrayLine(s: StraySummary): string {
  return `its token came from ${plainLine(s.source, 64)}, not its own address: ${s.count} x ${plainLine(s.reason, 120)}`;
}

/** The groups, and how many strays the listener counted in all (more than the groups show when they overflowed). */
export function strayLines(report: Report): string[] {
  const groups = report.run.strays ?? [];
  if (groups.length === 0) return [];
  return [...groups.map(strayLine), `${report.run.strayRequests} stray request(s) and connection(s) in all; they make no node fail`];
}
