/**
 * The demo's "twice in a row, same verdicts" check: a repeated run's node and path verdicts against
 * the first run's, entry by entry (the keys of src/diff.ts). Pure: two reports in, the differences out.
 */
import { type DiffEntry, NODE_KEY, diffReports } from '../../src/diff.js';
import type { Report } from '../../src/report.js';

export interface VerdictComparison {
  /** Nodes compared (in either run). */
  nodes: number;
  /** Paths compared (in either run), as the diff keys them. */
  paths: number;
  /** Every node or path whose verdict is not the same in both runs (including one missing from either). */
  differences: DiffEntry[];
}

export function compareVerdicts(first: Report, later: Report): VerdictComparison {
  const diff = diffReports(first, later);
  // Every key of either run is counted once under some change, "same" included.
  const compared = Object.values(diff.counts).reduce((a, b) => a + b, 0);
  const nodes = new Set([...first.nodes, ...later.nodes].map((n) => n.name)).size;
  // "still-failing" is a diff entry too; only a different verdict is a difference here.
  return { nodes, paths: compared - nodes, differences: diff.entries.filter((e) => e.old !== e.new) };
}

/** "run 2 of 2: same verdicts as run 1 (19 nodes, 143 paths)", or the count and one line per difference. */
export function renderComparison(run: number, runs: number, c: VerdictComparison): string {
  const head = `run ${run} of ${runs}`;
  if (c.differences.length === 0) return `${head}: same verdicts as run 1 (${c.nodes} nodes, ${c.paths} paths)\n`;
  const where = (e: DiffEntry): string => (e.key === NODE_KEY ? 'node (SSH/agent)' : e.key);
  const nodeWidth = Math.max(...c.differences.map((e) => e.node.length)) + 2;
  const keyWidth = Math.max(...c.differences.map((e) => where(e).length)) + 2;
  const lines = c.differences.map((e) => `  ${e.node.padEnd(nodeWidth)}${where(e).padEnd(keyWidth)}run 1: ${e.old ?? 'absent'}, run ${run}: ${e.new ?? 'absent'}`);
  return `${head}: ${c.differences.length} verdict(s) differ from run 1 (of ${c.nodes} nodes, ${c.paths} paths):\n${lines.join('\n')}\n`;
}
