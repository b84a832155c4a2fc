/**
 * CPU time and memory as Linux's /proc gives them: a process's own and its reaped children's time
 * (/proc/PID/stat), its peak resident set (VmHWM in /proc/PID/status), its live children, and the
 * whole machine's busy time (/proc/stat). Parsers are pure; readers return undefined once a process
 * is gone.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of the /proc time fields (USER_HZ: 100 on every Linux architecture in use). */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcessTimes {
  ppid: number;
  /** utime + stime: the process's own CPU, in seconds. */
  ownS: number;
  /** cutime + cstime: CPU of the children it has waited for (and theirs), in seconds. */
  reapedChildrenS: number;
}

export function parseProcessStat(text: string): ProcessTimes | undefined {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  // The rest starts at field 3, so field N is at index N - 3.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).trim().split(' ').map(Number);
  const [ppid, utime, stime, cutime, cstime] = [f[1], f[11], f[12], f[13], f[14]];
  if ([ppid, utime, stime, cutime, cstime].some((x) => x === undefined || !Number.isFinite(x))) return undefined;
  return { ppid: ppid!, ownS: (utime! + stime!) / CLOCK_TICKS_PER_SECOND, reapedChildrenS: (cutime! + cstime!) / CLOCK_TICKS_PER_SECOND };
}

/** VmHWM (peak resident set) in bytes, from /proc/PID/status text. */
export function parsePeakRss(statusText: string): number | undefined {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(statusText);
  return m === null ? undefined : Number(m[1]) * 1024;
}

/** The machine's busy and idle CPU seconds since boot, from /proc/stat's first line. */
export function parseMachineCpu(procStat: string): { busyS: number; idleS: number } | undefined {
  const m = /^cpu\s+(.*)$/m.exec(procStat);
  if (m === null) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = m[1]!.trim().split(/\s+/).map(Number);
  const parts = [user, nice, system, idle, iowait, irq, softirq, steal].map((x) => x ?? 0);
  const busy = parts[0]! + parts[1]! + parts[2]! + parts[5]! + parts[6]! + parts[7]!;
  return { busyS: busy / CLOCK_TICKS_PER_SECOND, idleS: (parts[3]! + parts[4]!) / CLOCK_TICKS_PER_SECOND };
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function processTimes(pid: number): ProcessTimes | undefined {
  const text = read(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcessStat(text);
}

export function peakRss(pid: number): number | undefined {
  const text = read(`/proc/${pid}/status`);
  return text === undefined ? undefined : parsePeakRss(text);
}

/** The live children of a process's main thread (those a single-threaded spawner such as Node or sh starts). */
export function liveChildren(pid: number): number[] {
  const text = read(`/proc/${pid}/task/${pid}/children`);
  return text === undefined ? [] : text.split(/\s+/).filter((w) => /^\d+$/.test(w)).map(Number);
}

/** The process's name (comm), or undefined once it is gone. */
export function processName(pid: number): string | undefined {
  return read(`/proc/${pid}/comm`)?.trim();
}

export function machineCpu(): { busyS: number; idleS: number } {
  const parsed = parseMachineCpu(read('/proc/stat') ?? '');
  if (parsed === undefined) throw new Error('cannot read the machine\'s CPU time from /proc/stat');
  return parsed;
}
