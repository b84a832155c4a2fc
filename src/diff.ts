/**
 * What changed between two runs, per node and per path, and whether any of it is new breakage (the
 * only thing a nightly regression run should fail on). Pure: two Reports in, a ReportDiff out.
 *
 * Entries are matched by a stable key (see pathKey): the node's own SSH/agent verdict is the entry
 * "node"; each path is keyed by what identifies it across runs, never by what was merely observed.
 *
 * How each pair of verdicts is judged ("failing" is any failure kind other than not-measured):
 *
 *   old \ new      ok        failing                              not-measured            absent
 *   absent         added     new-failure (breakage)               added                   -
 *   ok             same      new-failure (breakage)               unmeasured (breakage)   removed
 *   failing A      fixed     A: still-failing; B: changed         unmeasured              removed
 *                            (breakage only if B is more severe)
 *   not-measured   measured  new-failure (breakage)               same                    removed
 *
 * not-measured is neither "fixed" nor "new breakage", with one exception: a path that was ok and is
 * no longer measured counts as breakage, because the run can no longer vouch for it (usually its
 * node's SSH or agent failed, and the node entry says why). A failure after not-measured is new: the
 * baseline never saw that path work or fail.
 */
import { getExitCode, type NodeReport, type PathReport, type Report } from './report.js';
import { VERDICTS, isFailure, worse, type VerdictKind } from './verdicts.js';

export const DIFF_VERSION = 1;

/** The key of a node's own (SSH/agent) entry; its verdict there is `nodeVerdict`, or ok. */
export const NODE_KEY = 'node';

export const CHANGES = ['new-failure', 'changed', 'unmeasured', 'fixed', 'still-failing', 'measured', 'added', 'removed', 'same'] as const;
export type Change = (typeof CHANGES)[number];

/** The parts of a path that identify it; `from` only where a node has several (dual-homed callbacks). */
export interface PathIdentity {
  direction: PathReport['direction'];
  proto: PathReport['proto'];
  port: number;
  to: string;
  from?: string;
}

export interface DiffEntry {
  node: string;
  /** NODE_KEY, or the path's key (pathKey). */
  key: string;
  path?: PathIdentity;
  /** The verdict in the old run; absent: the node or path was not in it. */
  old?: VerdictKind;
  /** The verdict in the new run; absent: the node or path is gone. */
  new?: VerdictKind;
  change: Change;
  /** Whether this entry alone should fail a run compared with a baseline. */
  breakage: boolean;
}

export interface RunRef {
  id: string;
  startedAt: string;
}

export interface ReportDiff {
  version: typeof DIFF_VERSION;
  old: RunRef;
  new: RunRef;
  /** Nodes only in the new run, and only in the old one. */
  addedNodes: string[];
  removedNodes: string[];
  /** Every entry whose change is not "same", in the new report's node order (then removed nodes). */
  entries: DiffEntry[];
  counts: Record<Change, number>;
}

/**
 * A path's key, stable across runs: direction, protocol and port, the far end, and the node address
 * only where it tells two paths apart.
 *   callback <proto>:<port> -> <controller address>                  single-address node
 *   callback <proto>:<port> <node address> -> <controller address>  several addresses: one per source
 *   forward <proto>:<port> -> <node address>
 * A single-address node's callback source is left out: it is what the node's route picked (or the
 * node's name when the agent never ran), so it would differ between a run where SSH failed and one
 * where it worked, without the path being another.
 */
export function pathIdentity(node: Pick<NodeReport, 'addresses'>, path: PathReport): PathIdentity {
  // FTP data: the passive port the listener offered rotates between runs; it is one path all the same.
  const id: PathIdentity = { direction: path.direction, proto: path.proto, port: path.proto === 'ftp-data' ? 0 : path.port, to: path.to };
  if (path.direction === 'callback' && node.addresses.length > 1) id.from = path.from;
  return id;
}

export function identityKey(id: PathIdentity): string {
  return `${id.direction} ${id.proto}:${id.port} ${id.from === undefined ? '' : `${id.from} `}-> ${id.to}`;
}

export function pathKey(node: Pick<NodeReport, 'addresses'>, path: PathReport): string {
  return identityKey(pathIdentity(node, path));
}

interface Keyed {
  verdict: VerdictKind;
  path?: PathIdentity;
}

/** A node's entries by key, node first, in report order; two paths on one key keep the worse verdict. */
function keyed(node: NodeReport): Map<string, Keyed> {
  const map = new Map<string, Keyed>([[NODE_KEY, { verdict: node.nodeVerdict ?? 'ok' }]]);
  for (const p of node.paths) {
    const path = pathIdentity(node, p);
    const key = identityKey(path);
    const seen = map.get(key);
    map.set(key, { verdict: seen === undefined ? p.verdict : worse(seen.verdict, p.verdict), path });
  }
  return map;
}

type Status = 'absent' | 'ok' | 'failing' | 'unmeasured';

function statusOf(kind: VerdictKind | undefined): Status {
  if (kind === undefined) return 'absent';
  if (kind === 'not-measured') return 'unmeasured';
  return isFailure(kind) ? 'failing' : 'ok';
}

/** The table in this file's header, as a function. */
export function judgeChange(old: VerdictKind | undefined, now: VerdictKind | undefined): { change: Change; breakage: boolean } {
  const was = statusOf(old);
  const is = statusOf(now);
  if (is === 'absent') return { change: was === 'absent' ? 'same' : 'removed', breakage: false };
  if (is === 'failing') {
    if (was !== 'failing') return { change: 'new-failure', breakage: true };
    if (old === now) return { change: 'still-failing', breakage: false };
    return { change: 'changed', breakage: VERDICTS[now!].severity > VERDICTS[old!].severity };
  }
  if (was === 'absent') return { change: 'added', breakage: false };
  if (is === 'ok') return { change: was === 'ok' ? 'same' : was === 'failing' ? 'fixed' : 'measured', breakage: false };
  // Now not measured.
  if (was === 'unmeasured') return { change: 'same', breakage: false };
  return { change: 'unmeasured', breakage: was === 'ok' };
}

function ref(report: Report): RunRef {
  return { id: report.run.id, startedAt: report.run.startedAt };
}

export function diffReports(oldReport: Report, newReport: Report): ReportDiff {
  const oldNodes = new Map(oldReport.nodes.map((n) => [n.name, n]));
  const newNames = new Set(newReport.nodes.map((n) => n.name));
  const counts = Object.fromEntries(CHANGES.map((c) => [c, 0])) as Record<Change, number>;
  const entries: DiffEntry[] = [];
  const pairs: [string, NodeReport | undefined, NodeReport | undefined][] = [
    ...newReport.nodes.map((n): [string, NodeReport | undefined, NodeReport] => [n.name, oldNodes.get(n.name), n]),
    ...oldReport.nodes.filter((n) => !newNames.has(n.name)).map((n): [string, NodeReport, undefined] => [n.name, n, undefined]),
  ];
  for (const [name, oldNode, newNode] of pairs) {
    const before = oldNode === undefined ? new Map<string, Keyed>() : keyed(oldNode);
    const after = newNode === undefined ? new Map<string, Keyed>() : keyed(newNode);
    // New report's order first, then what only the old one had.
    for (const key of new Set([...after.keys(), ...before.keys()])) {
      const o = before.get(key);
      const n = after.get(key);
      const { change, breakage } = judgeChange(o?.verdict, n?.verdict);
      counts[change] += 1;
      if (change === 'same') continue;
      const path = n?.path ?? o?.path;
      entries.push({
        node: name,
        key,
        ...(path === undefined ? {} : { path }),
        ...(o === undefined ? {} : { old: o.verdict }),
        ...(n === undefined ? {} : { new: n.verdict }),
        change,
        breakage,
      });
    }
  }
  return {
    version: DIFF_VERSION,
    old: ref(oldReport),
    new: ref(newReport),
    addedNodes: newReport.nodes.filter((n) => !oldNodes.has(n.name)).map((n) => n.name),
    removedNodes: oldReport.nodes.filter((n) => !newNames.has(n.name)).map((n) => n.name),
    entries,
    counts,
  };
}

/** The entries that make a run fail against its baseline. */
export function newBreakage(diff: ReportDiff): DiffEntry[] {
  return diff.entries.filter((e) => e.breakage);
}

export const FAIL_ON = ['any', 'new'] as const;
export type FailOn = (typeof FAIL_ON)[number];

/**
 * The exit code of a finished (not interrupted) run: `any` fails on any failure in the report (the
 * behaviour without a baseline); `new` only on new breakage against the baseline.
 */
export function exitCodeFor(report: Report, failOn: FailOn, diff: ReportDiff | undefined): 0 | 1 {
  if (failOn === 'any' || diff === undefined) return getExitCode(report);
  return newBreakage(diff).length > 0 ? 1 : 0;
}
