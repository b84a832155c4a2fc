/** How every renderer names a path and groups paths into matrix columns, so the formats agree. */
import { pathClass, type NodeReport, type PathReport } from '../report.js';
import { VERDICTS, worse, type VerdictClass, type VerdictKind } from '../verdicts.js';

/** Matrix column of a path: callbacks by port, forward probes by port; FTP data is one column whatever passive port was offered. */
export function columnOf(p: PathReport): string {
  if (p.proto === 'ftp-data') return 'cb ftp-data';
  return p.direction === 'callback' ? `cb ${p.proto}:${p.port}` : `fwd ${p.proto}:${p.port}`;
}

/** The report's columns in first-seen order. */
export function columnsOf(nodes: readonly NodeReport[]): string[] {
  return [...new Set(nodes.flatMap((n) => n.paths.map(columnOf)))];
}

/** The paths of a node in one column (a multi-address node has several). */
export function pathsIn(node: NodeReport, column: string): PathReport[] {
  return node.paths.filter((p) => columnOf(p) === column);
}

/** A cell's verdict: the worst of its paths, information before ok at equal severity (a closed path-only port shows as
 * `closed`, not `ok`); undefined when the node has no path there. */
export function cellVerdict(paths: readonly PathReport[]): VerdictKind | undefined {
  const shownFirst = (a: VerdictKind, b: VerdictKind): VerdictKind =>
    VERDICTS[a].severity === VERDICTS[b].severity && VERDICTS[b].class === 'info' ? b : worse(a, b);
  return paths.length === 0 ? undefined : paths.map((p): VerdictKind => p.verdict).reduce(shownFirst);
}

const CLASS_ORDER: readonly VerdictClass[] = ['ok', 'info', 'warning', 'fault'];

/**
 * A cell's class: the worst of its paths' (src/report.ts pathClass), so a cell whose failures are
 * callbacks the update manager does not need is information whatever its verdict; undefined when empty.
 */
export function cellClass(paths: readonly PathReport[]): VerdictClass | undefined {
  return paths.length === 0 ? undefined : paths.map(pathClass).reduce((a, b) => (CLASS_ORDER.indexOf(b) > CLASS_ORDER.indexOf(a) ? b : a), 'ok');
}

/** One path in words, e.g. "callback 10.0.0.5 -> 10.0.0.1:63001 (http)". */
export function pathLabel(p: PathReport): string {
  return p.direction === 'callback' ? `callback ${p.from} -> ${p.to}:${p.port} (${p.proto})` : `forward controller -> ${p.to}:${p.port} (${p.proto})`;
}

/**
 * A node's class from all its verdicts (its own and its paths' classes: a failed callback the update
 * manager does not need is information): any fault, else any warning, else any information, else ok.
 */
export function nodeClass(node: NodeReport): VerdictClass {
  const own = [node.verdict, ...(node.nodeVerdict === undefined ? [] : [node.nodeVerdict])].map((k) => VERDICTS[k].class);
  const classes = new Set([...own, ...node.paths.map(pathClass)]);
  return (['fault', 'warning', 'info'] as const).find((c) => classes.has(c)) ?? 'ok';
}

/**
 * The paths to tell about: faults and warnings, without the callbacks the update manager does not need
 * (information) and the unmeasured paths of a node whose SSH session or agent failed (the session tells those).
 */
export function failingPaths(node: NodeReport): PathReport[] {
  return node.paths.filter((p) => VERDICTS[p.verdict].severity > 0 && p.notNeeded === undefined && !(p.verdict === 'not-measured' && node.nodeVerdict !== undefined));
}
