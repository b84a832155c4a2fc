/**
 * What the live view (`twoway run --live`) knows of a run, built from the run's progress events, and
 * the messages it sends: a snapshot when a browser connects, then one message per finished node, then
 * the end. Rows are small and bounded (no evidence, short text), so a message stays far below the
 * server's size limit whatever the node reports. Pure.
 */
import type { NodeReport, Report } from '../report.js';
import type { VerdictClass, VerdictKind } from '../verdicts.js';
import { cellClass, cellVerdict, columnOf, failingPaths, nodeClass, pathLabel, pathsIn } from './labels.js';
import { VERDICTS } from '../verdicts.js';

/** Longest text field in a row: names and summaries come from the nodes and the inventory. */
export const LIVE_TEXT_MAX = 300;
/** Rows a snapshot carries at most (a browser joining a long run late): failures first, then the newest. */
export const SNAPSHOT_ROWS = 2000;
/** Failing paths listed per row; the rest are counted. */
const CAUSES_MAX = 5;

export interface LiveRow {
  name: string;
  verdict: VerdictKind;
  cls: VerdictClass;
  /** column -> the cell's verdict */
  cells: Record<string, VerdictKind>;
  /** column -> the cell's class (information for a failed callback the update manager does not need, whatever its verdict) */
  cellClasses: Record<string, VerdictClass>;
  /** The failing paths, in words (bounded). */
  causes: string[];
}

export interface LiveState {
  total: number;
  done: number;
  failed: number;
  columns: string[];
  rows: LiveRow[];
  finished: boolean;
}

export type LiveMessage =
  | { type: 'snapshot'; state: LiveState & { omitted: number } }
  | { type: 'node'; row: LiveRow; done: number; total: number; failed: number; columns: string[] }
  | { type: 'finished'; done: number; total: number; failed: number; interrupted: boolean };

export function emptyState(): LiveState {
  return { total: 0, done: 0, failed: 0, columns: [], rows: [], finished: false };
}

function cut(text: string): string {
  return text.length > LIVE_TEXT_MAX ? `${text.slice(0, LIVE_TEXT_MAX - 1)}…` : text;
}

export function liveRow(node: NodeReport): LiveRow {
  const columns = [...new Set(node.paths.map(columnOf))];
  const cells: Record<string, VerdictKind> = {};
  const cellClasses: Record<string, VerdictClass> = {};
  for (const c of columns) {
    const paths = pathsIn(node, c);
    cells[cut(c)] = cellVerdict(paths)!;
    cellClasses[cut(c)] = cellClass(paths)!;
  }
  const failing = failingPaths(node);
  const causes = [
    ...(node.nodeVerdict === undefined ? [] : [`${VERDICTS[node.nodeVerdict].title}: SSH and agent`]),
    ...failing.slice(0, CAUSES_MAX).map((p) => `${p.verdict}: ${pathLabel(p)}${p.summary === '' ? '' : `: ${p.summary}`}`),
    ...(failing.length > CAUSES_MAX ? [`and ${failing.length - CAUSES_MAX} more`] : []),
  ].map(cut);
  return { name: cut(node.name), verdict: node.verdict, cls: nodeClass(node), cells, cellClasses, causes };
}

/** What a browser that connects now is sent: the state so far, bounded to SNAPSHOT_ROWS rows. */
export function snapshotMessage(state: LiveState): LiveMessage {
  const failing = state.rows.filter((r) => r.cls === 'fault' || r.cls === 'warning').slice(0, SNAPSHOT_ROWS);
  const others = state.rows.filter((r) => r.cls !== 'fault' && r.cls !== 'warning');
  const kept = others.slice(Math.max(0, others.length - (SNAPSHOT_ROWS - failing.length)));
  const keptSet = new Set<LiveRow>([...failing, ...kept]);
  const rows = state.rows.filter((r) => keptSet.has(r));
  return { type: 'snapshot', state: { ...state, rows, omitted: state.rows.length - rows.length } };
}

export function started(state: LiveState, total: number): LiveState {
  return { ...state, total };
}

/** A node finished: its row, and the message that tells the browsers. */
export function nodeFinished(state: LiveState, node: NodeReport, done: number, total: number): { state: LiveState; message: LiveMessage } {
  const row = liveRow(node);
  const columns = [...state.columns, ...Object.keys(row.cells).filter((c) => !state.columns.includes(c))];
  const failed = state.failed + (row.cls === 'fault' || row.cls === 'warning' ? 1 : 0);
  const next = { ...state, done, total, failed, columns, rows: [...state.rows, row] };
  return { state: next, message: { type: 'node', row, done, total, failed, columns } };
}

export function finished(state: LiveState, report: Report): { state: LiveState; message: LiveMessage } {
  const next = { ...state, finished: true };
  return { state: next, message: { type: 'finished', done: state.done, total: state.total, failed: state.failed, interrupted: report.run.interrupted } };
}
