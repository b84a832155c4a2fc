/**
 * The node side's CPU: the lab's sshd listeners, their own time and that of everything they have
 * reaped (sessions, shells, agents, curl). Read when no session is left, it covers a run's whole
 * node side, and nothing else that runs on the machine.
 */
import { liveChildren, processTimes } from './proc-times.js';

const POLL_MS = 50;

function cpuOf(listeners: readonly number[]): number {
  return listeners.reduce((sum, pid) => {
    const t = processTimes(pid);
    return sum + (t === undefined ? 0 : t.ownS + t.reapedChildrenS);
  }, 0);
}

/**
 * Waits (up to `waitMs`) until no listener has a session left, then reads their CPU seconds; `quiet`
 * says whether they were all done (otherwise the live sessions' time is missing).
 */
export async function nodeSideCpu(listeners: readonly number[], waitMs: number): Promise<{ cpuS: number; quiet: boolean }> {
  const deadline = Date.now() + waitMs;
  let busy = listeners.filter((pid) => liveChildren(pid).length > 0);
  while (busy.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    busy = busy.filter((pid) => liveChildren(pid).length > 0);
  }
  return { cpuS: cpuOf(listeners), quiet: busy.length === 0 };
}
