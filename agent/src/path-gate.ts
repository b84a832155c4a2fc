/**
 * Probes of one callback path (same address, port and source) share its first connect. While the
 * first probe on a path is still connecting, the path's other probes wait and the queue runs probes
 * of other paths, so the first connects of all paths run side by side. If that first connect timed
 * out (a dropped SYN), the path's other probes are reported with its evidence instead of each
 * waiting out the same connect deadline again; any other ending opens the path, so their own
 * evidence (refused, a TLS failure, a stalled transfer) is still measured probe by probe.
 */
import { EVENT_LIMITS } from '../../src/protocol.js';
import type { PlannedProbe, ProbeResult } from '../../src/protocol.js';
import { clip } from './output.js';

type PathState = { state: 'connecting'; opener: string } | { state: 'open' } | { state: 'timed-out'; evidence: ProbeResult };

function pathKey(probe: PlannedProbe): string {
  return `${probe.address}|${probe.port}|${probe.source ?? ''}`;
}

export class PathGates {
  private readonly paths = new Map<string, PathState>();

  /** Called when a path opens or times out: waiting probes may move. */
  constructor(private readonly onChange: () => void) {}

  /** False while another probe's first connect on this path is in flight. */
  mayStart(probe: PlannedProbe): boolean {
    return this.paths.get(pathKey(probe))?.state !== 'connecting';
  }

  /** The result to report instead of running `probe`: its path's first connect timed out. */
  gatedResult(probe: PlannedProbe): ProbeResult | undefined {
    const path = this.paths.get(pathKey(probe));
    if (path?.state !== 'timed-out') return undefined;
    const { outcome, phase, ms, error } = path.evidence;
    const message = clip(`${error?.message ?? 'TCP connect timed out'}; not tried again: probe ${path.evidence.id} had the same address and port`, EVENT_LIMITS.errorMessage);
    return { t: 'probe', id: probe.id, outcome, phase, ms, error: { ...(error?.code === undefined ? {} : { code: error.code }), message } };
  }

  /** `probe` starts: the first on its path opens it for the others, or times out for them. */
  started(probe: PlannedProbe): void {
    const key = pathKey(probe);
    if (!this.paths.has(key)) this.paths.set(key, { state: 'connecting', opener: probe.id });
  }

  /** A TCP connection to `probe`'s path completed. */
  connected(probe: PlannedProbe): void {
    if (this.paths.get(pathKey(probe))?.state === 'connecting') this.open(pathKey(probe));
  }

  /** `probe` ended with `result`; only the path's first probe decides for the others. */
  settled(probe: PlannedProbe, result: ProbeResult): void {
    const key = pathKey(probe);
    const path = this.paths.get(key);
    if (path?.state !== 'connecting' || path.opener !== probe.id) return;
    if (result.outcome === 'timeout' && result.phase === 'connect') {
      this.paths.set(key, { state: 'timed-out', evidence: result });
      this.onChange();
    } else {
      this.open(key);
    }
  }

  private open(key: string): void {
    this.paths.set(key, { state: 'open' });
    this.onChange();
  }
}
