/**
 * A diff for the terminal: a one-line count, then new breakage, kind changes and fixes path by path;
 * what is still failing only as a count (it was in the baseline, so nobody needs paging for it).
 */
import { NODE_KEY, newBreakage, type DiffEntry, type ReportDiff } from '../diff.js';

function verdicts(e: DiffEntry): string {
  return `${e.old ?? 'absent'} -> ${e.new ?? 'absent'}`;
}

function where(e: DiffEntry): string {
  return e.key === NODE_KEY ? 'node (SSH/agent)' : e.key;
}

function lines(entries: readonly DiffEntry[]): string[] {
  const width = Math.max(0, ...entries.map((e) => e.node.length)) + 2;
  const keyWidth = Math.max(0, ...entries.map((e) => where(e).length)) + 2;
  return entries.map((e) => `  ${e.node.padEnd(width)}${where(e).padEnd(keyWidth)}${verdicts(e)}`);
}

/**
 * New breakage, with the paths that are only "no longer measured" because their node's SSH or agent
 * newly failed folded into one line under that node: the node entry already names the cause.
 */
function breakageLines(broken: readonly DiffEntry[]): { lines: string[]; shown: number } {
  const nodeDown = new Set(broken.filter((e) => e.key === NODE_KEY).map((e) => e.node));
  const folded = (e: DiffEntry): boolean => e.change === 'unmeasured' && nodeDown.has(e.node);
  const out: string[] = [];
  const shown = broken.filter((e) => !folded(e));
  const listed = lines(shown);
  shown.forEach((e, i) => {
    out.push(listed[i]!);
    if (e.key !== NODE_KEY) return;
    const hidden = broken.filter((x) => x.node === e.node && folded(x)).length;
    if (hidden > 0) out.push(`    and ${hidden} path(s) that were ok are no longer measured`);
  });
  return { lines: out, shown: shown.length };
}

export function renderDiff(diff: ReportDiff, title: string): string {
  const of = (change: DiffEntry['change']) => diff.entries.filter((e) => e.change === change);
  // The headline counts what is listed: a node that went down counts once, not once per path.
  const breakage = breakageLines(newBreakage(diff));
  const changedNotWorse = of('changed').filter((e) => !e.breakage);
  const still = of('still-failing');
  const head = `${title}: ${breakage.shown} new, ${diff.counts.fixed} fixed, ${diff.counts.changed} changed kind, ${still.length} still failing`;
  const out = [head];
  const section = (name: string, body: string[]): void => {
    if (body.length > 0) out.push(`${name}:`, ...body);
  };
  section('New breakage', breakage.lines);
  section('Changed kind (not worse)', lines(changedNotWorse));
  section('Fixed', lines(of('fixed')));
  if (still.length > 0) out.push(`Still failing: ${still.length} (${[...new Set(still.map((e) => e.node))].join(', ')})`);
  const noLonger = of('unmeasured').filter((e) => !e.breakage);
  if (noLonger.length > 0) out.push(`No longer measured (were failing): ${noLonger.length} (${[...new Set(noLonger.map((e) => e.node))].join(', ')})`);
  if (diff.counts.measured > 0) out.push(`Measured again (were not measured): ${diff.counts.measured}`);
  if (diff.addedNodes.length > 0) out.push(`New nodes: ${diff.addedNodes.join(', ')}`);
  if (diff.removedNodes.length > 0) out.push(`Nodes no longer tested: ${diff.removedNodes.join(', ')}`);
  const addedPaths = of('added').filter((e) => !diff.addedNodes.includes(e.node)).length;
  const removedPaths = of('removed').filter((e) => !diff.removedNodes.includes(e.node)).length;
  if (addedPaths + removedPaths > 0) out.push(`Paths: ${addedPaths} new, ${removedPaths} no longer tested (ports, addresses or profile changed)`);
  return `${out.join('\n')}\n`;
}
