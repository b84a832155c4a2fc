/**
 * Which stalled transfer to try once more (issue 14: a transient outage stalls a size once, a size
 * limit stalls it every time), and toward which controller address to bisect the path MTU from the
 * node. Pure bookkeeping: main.ts runs what it decides.
 */
import { isStuck } from '../../src/protocol.js';
import type { PlannedProbe, ProbeResult, ProbeRetry } from '../../src/protocol.js';

/** A transfer that stopped arriving (src/protocol/stuck.ts); one cut by the probe deadline was merely slow. */
export function stuckTransfer(probe: PlannedProbe, result: ProbeResult): boolean {
  return (probe.kind === 'download' || probe.kind === 'upload') && isStuck(result);
}

/** One callback path: the same protocol, controller address and port, from the same source. */
function pathKey(probe: PlannedProbe): string {
  return [probe.proto, probe.address, probe.port, probe.source === undefined ? '' : probe.source].join('|');
}

export class RetryBook {
  private readonly retriedPaths: { [key: string]: true } = {};
  private readonly bisected: { [address: string]: true } = {};

  /** True once per path: for its first stuck transfer. */
  retryWanted(probe: PlannedProbe, result: ProbeResult): boolean {
    if (!stuckTransfer(probe, result)) return false;
    const key = pathKey(probe);
    if (this.retriedPaths[key]) return false;
    this.retriedPaths[key] = true;
    return true;
  }

  /** True once per controller address, after a retry there: the path MTU toward it from the node. */
  bisectWanted(address: string): boolean {
    if (this.bisected[address]) return false;
    this.bisected[address] = true;
    return true;
  }
}

/** The retry's result line: the second attempt's own outcome, under its probe's id. */
export function retryLine(second: ProbeResult): ProbeRetry {
  const line: ProbeRetry = { t: 'retry', id: second.id, outcome: second.outcome, phase: second.phase, ms: second.ms };
  if (second.bytes !== undefined) line.bytes = second.bytes;
  if (second.error !== undefined) line.error = second.error;
  return line;
}
