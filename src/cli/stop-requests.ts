/**
 * A run's stop requests: a stop signal this process received, the same relayed by its supervisor
 * (src/cli/supervise.ts), or that supervisor's death. The first request stops the run (every node
 * still gets a result), a second one ends the process at once.
 */
import { onSupervisor } from './supervise.js';
import { STOP_SIGNALS, exitCodeAfter, outliveHangup, outliveLostOutput, type StopSignal } from './stop-signals.js';

/**
 * Counts requests so that one signal delivered twice counts once. A signal sent to the whole process
 * group (Ctrl-C at a terminal, the shell's hang-up, timeout(1), systemd) reaches this process and the
 * supervisor, which relays it; a signal sent to one of the two reaches only that one. Per signal, the
 * requests are therefore the larger of the direct and the relayed count, whatever order they come in:
 * no timing window decides what is a duplicate.
 */
export class StopTally {
  private readonly counts = new Map<StopSignal, { direct: number; relayed: number }>();
  private supervisorGone = false;

  /** Records one delivery; returns the number of requests so far when it is a new request, else undefined. */
  record(sig: StopSignal, via: 'direct' | 'relayed'): number | undefined {
    const before = this.requests;
    const count = this.counts.get(sig) ?? { direct: 0, relayed: 0 };
    count[via] += 1;
    this.counts.set(sig, count);
    return this.requests > before ? this.requests : undefined;
  }

  /**
   * The supervisor is gone: a request when nothing asked before, else none (nobody is left to wait
   * for the run, which is no reason to cut its clean-up short); however often it is told.
   */
  recordSupervisorGone(): number | undefined {
    if (this.supervisorGone) return undefined;
    const first = this.requests === 0;
    this.supervisorGone = true;
    return first ? 1 : undefined;
  }

  get requests(): number {
    let total = this.supervisorGone ? 1 : 0;
    for (const { direct, relayed } of this.counts.values()) total += Math.max(direct, relayed);
    return total;
  }
}

export interface StopRequest {
  /** 1 for the first request, 2 for the next, ... */
  nth: number;
  /** What asked, for the operator: the signal's name, or that the supervisor is gone. */
  reason: string;
  /** The exit status this request calls for: 128 + the signal's number; the supervisor's death counts as a hang-up. */
  exitCode: number;
}

/** Calls `onRequest` for each new stop request until the returned function is called. */
export function watchStopRequests(onRequest: (request: StopRequest) => void): () => void {
  const tally = new StopTally();
  const tell = (nth: number | undefined, reason: string, exitCode: number): void => {
    if (nth !== undefined) onRequest({ nth, reason, exitCode });
  };
  const direct = (sig: StopSignal): void => {
    outliveHangup(sig);
    tell(tally.record(sig, 'direct'), sig, exitCodeAfter(sig));
  };
  for (const sig of STOP_SIGNALS) process.on(sig, direct);
  const stopListening = onSupervisor({
    relayed: (sig) => {
      outliveHangup(sig);
      tell(tally.record(sig, 'relayed'), sig, exitCodeAfter(sig));
    },
    gone: () => {
      // Whoever read this process's output may be gone with it.
      outliveLostOutput();
      tell(tally.recordSupervisorGone(), 'the process that started this run is gone', exitCodeAfter('SIGHUP'));
    },
  });
  return () => {
    stopListening();
    for (const sig of STOP_SIGNALS) process.off(sig, direct);
  };
}
