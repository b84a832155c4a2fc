/**
 * Reading /proc: which processes exist and what each was started as. Shared by preflight (who holds
 * a port) and the lab (which processes to end). Every read may race a process exiting, so each
 * answer is "as of now" and a vanished process reads as undefined, never as an error.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** The PIDs /proc lists at this moment. */
export function allPids(): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
}

/** The process's arguments joined by spaces ('' for a kernel thread), or undefined once it is gone. */
export function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}
