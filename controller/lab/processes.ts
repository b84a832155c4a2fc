/**
 * Processes, read from /proc and signalled by PID: whether one lives, ending a list of them
 * (SIGTERM, then SIGKILL after a bounded wait), and which processes or mounts still hold a network
 * namespace after `ip netns del` (a namespace lives on, with its veths and addresses, while anything
 * holds it).
 */
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { sleep } from './run.js';

export function processExists(pid: number): boolean {
  try {
    return statSync(`/proc/${pid}`).isDirectory();
  } catch {
    return false;
  }
}

function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/** Running or sleeping: not gone, not a zombie waiting for its parent. */
export function isLive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
}

export function childrenByParent(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const pid of allPids()) {
    const stat = procStat(pid);
    if (stat === undefined) continue;
    const list = map.get(stat.ppid) ?? [];
    list.push(pid);
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

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

async function waitUntilGone(pids: readonly number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let live = pids.filter(isLive);
  while (live.length > 0 && Date.now() < deadline) {
    await sleep(50);
    live = live.filter(isLive);
  }
  return live;
}

/**
 * Ends the processes, in the order given: SIGTERM to each, up to `graceMs` for them to exit, SIGKILL
 * to the rest and a bounded wait for those. Returns the PIDs still alive after that (normally none).
 */
export async function endProcesses(pids: readonly number[], graceMs = 3_000): Promise<number[]> {
  for (const p of pids) signal(p, 'SIGTERM');
  const stubborn = await waitUntilGone(pids, graceMs);
  for (const p of stubborn) signal(p, 'SIGKILL');
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
