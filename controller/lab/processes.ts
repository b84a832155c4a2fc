/**
 * Processes, read from /proc and signalled by PID: whether one lives, ending a list of them
 * (SIGTERM, then SIGKILL after a bounded wait), and which processes or mounts still hold a network
 * namespace after `ip netns del` (a namespace lives on, with its veths and addresses, while anything
 * holds it).
 */
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { allPids } from '../host/procfs.js';
import { sleep } from './run.js';

interface ProcStat {
  state: string;
  ppid: number;
  /** Field 22, in clock ticks since boot: with the PID, it names one process (a reused PID has a later one). */
  startTime: string;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    // What follows starts at field 3, so field N is at index N - 3.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', ppid: Number(rest[1]), startTime: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** The stat of a process that is running or sleeping: undefined when gone or a zombie waiting for its parent. */
function liveStat(pid: number): ProcStat | undefined {
  const stat = procStat(pid);
  return stat === undefined || stat.state === 'Z' || stat.state === 'X' ? undefined : stat;
}

/** The lab's one liveness test: a zombie counts as gone. */
export function isLive(pid: number): boolean {
  return liveStat(pid) !== undefined;
}

/**
 * One process as it was when it was listed. A PID is reused once its process is gone, so the lab
 * signals a PID only while it still has this start time (and, when `netns` is set, is still inside
 * that network namespace): never a host process that got the number in between.
 */
export interface ProcessId {
  pid: number;
  startTime: string;
  /** The inode of /proc/PID/ns/net when listed; undefined when the namespace is not part of the identity. */
  netns?: number;
}

/** The process behind PID now, for a later `endProcesses`; undefined when it is gone or a zombie. */
export function identify(pid: number, withNetns = false): ProcessId | undefined {
  const stat = liveStat(pid);
  if (stat === undefined) return undefined;
  if (!withNetns) return { pid, startTime: stat.startTime };
  const netns = nsLinkInode(pid, 'net');
  return netns === undefined ? undefined : { pid, startTime: stat.startTime, netns };
}

/** Whether the listed process is still there, alive: same start time, same namespace, not a zombie. */
function stillThere(id: ProcessId): boolean {
  if (liveStat(id.pid)?.startTime !== id.startTime) return false;
  return id.netns === undefined || nsLinkInode(id.pid, 'net') === id.netns;
}

/** Every process by parent, each identified at the moment of the scan. */
export function childrenByParent(): Map<number, ProcessId[]> {
  const map = new Map<number, ProcessId[]>();
  for (const pid of allPids()) {
    const stat = procStat(pid);
    if (stat === undefined) continue;
    const list = map.get(stat.ppid) ?? [];
    list.push({ pid, startTime: stat.startTime });
    map.set(stat.ppid, list);
  }
  return map;
}

/** This process and its ancestors: never signalled, whatever namespace they are in. */
export function selfAndAncestors(): Set<number> {
  const chain = new Set<number>();
  // Bounded: a chain of parents ends at init, and no machine nests processes this deep.
  for (let pid = process.pid, i = 0; pid > 1 && i < 1_000; i++) {
    chain.add(pid);
    pid = procStat(pid)?.ppid ?? 0;
  }
  return chain;
}

/**
 * Signals the process only if it is still the one listed. The check and kill(2) are two steps (Node
 * has no pidfd), but the window is microseconds instead of the seconds of a grace period.
 */
function signalIfSame(id: ProcessId, sig: NodeJS.Signals): void {
  if (!stillThere(id)) return;
  try {
    process.kill(id.pid, sig);
  } catch {
    // Already gone.
  }
}

async function waitUntilGone(ids: readonly ProcessId[], ms: number): Promise<ProcessId[]> {
  const deadline = Date.now() + ms;
  let live = ids.filter(stillThere);
  while (live.length > 0 && Date.now() < deadline) {
    await sleep(50);
    live = live.filter(stillThere);
  }
  return live;
}

/**
 * Ends the processes, in the order given: SIGTERM to each, up to `graceMs` for them to exit, SIGKILL
 * to the rest and a bounded wait for those. Each signal goes only to a process that is still the one
 * listed. Returns those still alive after that (normally none).
 */
export async function endProcesses(ids: readonly ProcessId[], graceMs = 3_000): Promise<ProcessId[]> {
  for (const id of ids) signalIfSame(id, 'SIGTERM');
  const stubborn = await waitUntilGone(ids, graceMs);
  for (const id of stubborn) signalIfSame(id, 'SIGKILL');
  return waitUntilGone(stubborn, 2_000);
}

/** The nsfs inode of a file naming a namespace (/run/netns/NAME, /proc/PID/ns/net). */
export function nsInode(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

function nsLinkInode(pid: number, kind: 'net' | 'mnt'): number | undefined {
  try {
    const m = /^\w+:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

export interface NetnsHolder {
  /** A process inside the namespace, or one whose mount namespace still has it mounted (a copy of /run/netns/NAME). */
  how: 'inside' | 'mounted';
  pid: number;
  inode: number;
}

/**
 * What still holds any of these network namespaces: processes inside one, and mount namespaces that
 * still carry an nsfs mount of one (a process that made its own mount namespace, such as `unshare
 * --mount`, keeps copies of the /run/netns mounts of that moment). Open file descriptors are not
 * looked at.
 */
export function netnsHolders(inodes: ReadonlySet<number>): NetnsHolder[] {
  if (inodes.size === 0) return [];
  const holders: NetnsHolder[] = [];
  const mountNamespacesSeen = new Set<number>();
  for (const pid of allPids()) {
    const net = nsLinkInode(pid, 'net');
    if (net !== undefined && inodes.has(net)) holders.push({ how: 'inside', pid, inode: net });
    const mnt = nsLinkInode(pid, 'mnt');
    if (mnt === undefined || mountNamespacesSeen.has(mnt)) continue;
    mountNamespacesSeen.add(mnt);
    let mountinfo = '';
    try {
      mountinfo = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
    } catch {
      continue;
    }
    for (const m of mountinfo.matchAll(/ net:\[(\d+)\] /g)) {
      const inode = Number(m[1]);
      if (inodes.has(inode)) holders.push({ how: 'mounted', pid, inode });
    }
  }
  return holders;
}
