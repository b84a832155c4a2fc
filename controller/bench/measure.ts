/**
 * Runs one command tree and measures it: wall time; the CPU of every process in the tree, exactly
 * (a wrapper shell waits for the command, then reads its own reaped-children time from /proc); one
 * process in the tree sampled on its own (twoway's controller: its own CPU, its children's, its peak
 * RSS); the whole machine's busy CPU from /proc/stat and this process's own CPU meanwhile; and the
 * controller namespace's interface byte counters. Every wait is bounded; on a timeout or an abort
 * the tree is ended by PID, children first.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { type ProcessId, childrenByParent, endProcesses, identify } from '../lab/processes.js';
import { run } from '../lab/run.js';
import { liveChildren, machineCpu, parseProcessStat, peakRss, processName, processTimes } from './proc-times.js';

/** How often the sampled process is read: its final figures are those of the last sample (see mainProcess). */
const SAMPLE_INTERVAL_MS = 50;
const MAX_CAPTURE_BYTES = 1024 * 1024;

/**
 * The wrapper: runs the command as its child, waits for it, then copies its own /proc stat (whose
 * cutime and cstime now hold the whole tree's CPU) to the file named first.
 */
const WRAPPER = 'f="$1"; shift; "$@"; rc=$?; cat "/proc/$$/stat" > "$f"; exit "$rc"';

export interface MeasureSpec {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Where the wrapper leaves its stat (removed after reading). */
  statFile: string;
  /**
   * The process to sample on its own, as the chain of process names from the wrapper's child down
   * (e.g. ['node', 'node']: the twoway CLI, then the controller it re-executes in the namespace).
   */
  mainProcess?: readonly string[];
  /** Read before and after: the controller namespace's interface counters. */
  interfaceBytes: () => Promise<{ tx: number; rx: number }>;
  signal?: AbortSignal;
}

export interface MainProcessFigures {
  /** Its own CPU seconds. */
  ownS: number;
  /** Its children's CPU seconds: those it waited for, plus those still alive at the last sample. */
  childrenS: number;
  peakRssBytes: number;
}

export interface Measured {
  startedAtMs: number;
  wallS: number;
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Every process of the tree, wrapper excepted. */
  treeCpuS: number;
  /** The machine's busy CPU over the run (every core). */
  machineBusyS: number;
  /** This process's own CPU over the run (its sampling), to tell apart from the rest of the machine. */
  benchSelfS: number;
  main?: MainProcessFigures;
  bytes: { tx: number; rx: number };
}

interface MainSampler {
  pid: number | undefined;
  figures: MainProcessFigures | undefined;
}

/** Follows the chain of names from the root's children: the sampled process once it exists and has exec'd. */
function findMain(rootPid: number, chain: readonly string[]): number | undefined {
  let parent = rootPid;
  for (const name of chain) {
    const next = liveChildren(parent).find((pid) => processName(pid) === name);
    if (next === undefined) return undefined;
    parent = next;
  }
  return parent;
}

function sample(state: MainSampler, rootPid: number, chain: readonly string[]): void {
  state.pid ??= findMain(rootPid, chain);
  if (state.pid === undefined) return;
  const times = processTimes(state.pid);
  const rss = peakRss(state.pid);
  if (times === undefined || rss === undefined) return; // gone: the last sample stands
  const live = liveChildren(state.pid).reduce((sum, child) => {
    const t = processTimes(child);
    return sum + (t === undefined ? 0 : t.ownS + t.reapedChildrenS);
  }, 0);
  state.figures = { ownS: times.ownS, childrenS: times.reapedChildrenS + live, peakRssBytes: Math.max(rss, state.figures?.peakRssBytes ?? 0) };
}

/** The process and all its descendants as listed now, children before parents. */
function treeOf(rootPid: number): ProcessId[] {
  const children = childrenByParent();
  const root = identify(rootPid);
  if (root === undefined) return [];
  const found: ProcessId[] = [root];
  // Bounded: a tree cannot hold more entries than /proc listed.
  for (let i = 0; i < found.length && i < 100_000; i++) found.push(...(children.get(found[i]!.pid) ?? []));
  return found.reverse();
}

export async function measure(spec: MeasureSpec): Promise<Measured> {
  const bytesBefore = await spec.interfaceBytes();
  const cpuBefore = machineCpu();
  const selfBefore = process.cpuUsage();
  const startedAtMs = Date.now();
  // Its own process group, so a Ctrl-C at the terminal reaches only the bench, which ends the tree itself.
  const child = spawn('sh', ['-c', WRAPPER, 'sh', spec.statFile, spec.command, ...spec.args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(spec.env === undefined ? {} : { env: spec.env }),
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let captured = 0;
  const keep = (into: Buffer[]) => (chunk: Buffer): void => {
    captured += chunk.length;
    if (captured <= MAX_CAPTURE_BYTES) into.push(chunk);
  };
  child.stdout.on('data', keep(out));
  child.stderr.on('data', keep(err));

  const main: MainSampler = { pid: undefined, figures: undefined };
  const rootPid = child.pid;
  const sampler =
    spec.mainProcess !== undefined && rootPid !== undefined ? setInterval(() => sample(main, rootPid, spec.mainProcess ?? []), SAMPLE_INTERVAL_MS) : undefined;
  let timedOut = false;
  let ending: Promise<unknown> | undefined;
  const endTree = (): void => {
    if (rootPid !== undefined) ending ??= endProcesses(treeOf(rootPid));
  };
  const timer = setTimeout(() => {
    timedOut = true;
    endTree();
  }, spec.timeoutMs);
  spec.signal?.addEventListener('abort', endTree, { once: true });

  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('close', (code) => resolve(code));
  });
  const wallS = (Date.now() - startedAtMs) / 1000;
  clearTimeout(timer);
  clearInterval(sampler);
  spec.signal?.removeEventListener('abort', endTree);
  await ending;
  const selfUsage = process.cpuUsage(selfBefore);
  const cpuAfter = machineCpu();
  const bytesAfter = await spec.interfaceBytes();

  // No file when the wrapper itself was ended (a timeout or an abort): the tree's CPU is unknown.
  let treeCpuS = NaN;
  try {
    treeCpuS = parseProcessStat(readFileSync(spec.statFile, 'utf8'))?.reapedChildrenS ?? NaN;
  } catch {
    // left NaN
  }
  rmSync(spec.statFile, { force: true });
  return {
    startedAtMs,
    wallS,
    exitCode,
    timedOut,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    treeCpuS,
    machineBusyS: cpuAfter.busyS - cpuBefore.busyS,
    benchSelfS: (selfUsage.user + selfUsage.system) / 1e6,
    ...(main.figures === undefined ? {} : { main: main.figures }),
    bytes: { tx: bytesAfter.tx - bytesBefore.tx, rx: bytesAfter.rx - bytesBefore.rx },
  };
}

/** An interface's byte counters inside a namespace, from `ip -s -j link show`. */
export async function netnsInterfaceBytes(netns: string, iface: string): Promise<{ tx: number; rx: number }> {
  const [link] = JSON.parse(await run('ip', ['-n', netns, '-s', '-j', 'link', 'show', 'dev', iface])) as { stats64?: { tx?: { bytes?: number }; rx?: { bytes?: number } } }[];
  return { tx: link?.stats64?.tx?.bytes ?? NaN, rx: link?.stats64?.rx?.bytes ?? NaN };
}
