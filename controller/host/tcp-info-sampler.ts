/**
 * The controller's view of its callback connections' quality: while the run lasts, it samples
 * TCP_INFO of the established connections on the listener ports with `ss -tinH` (iproute2, in the
 * controller's own network namespace), like halfopen-sampler.ts samples SYN_RECV. Each connection
 * keeps its last sample (the counters only grow); diagnosis joins them to a node's path by peer
 * address and listener port. A connection that opens and closes between two samples is not seen.
 */
import { execFile } from 'node:child_process';
import type { ControllerTcpView as PathTcpView } from '../../src/evidence.js';
import { type TcpInfoEntry, parseSsTcpInfo } from './ss-tcp-info.js';

export type { PathTcpView };

/** What the sampler saw, for diagnosis to look up per path. */
export interface TcpInfoView {
  /** False when ss could not be run (absent, not Linux): absence of figures proves nothing then. */
  measured: boolean;
  /** Per peer address and listener port; undefined when no connection of that path was sampled. */
  forPath(remote: string, localPort: number): PathTcpView | undefined;
}

const DEFAULT_SAMPLE_MS = 250;
const SS_TIMEOUT_MS = 2_000;
const MAX_CONNECTIONS = 50_000;

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** One path's connections summed up (pure, so tests can feed it entries). */
export function summarizePath(entries: readonly TcpInfoEntry[]): PathTcpView | undefined {
  if (entries.length === 0) return undefined;
  const total = (key: 'dataSegsOut' | 'retransTotal' | 'bytesAcked' | 'bytesReceived'): number => entries.reduce((n, e) => n + (e[key] ?? 0), 0);
  const minRtts = entries.flatMap((e) => (e.minRttMs === undefined ? [] : [e.minRttMs]));
  const srtt = median(entries.flatMap((e) => (e.rttMs === undefined ? [] : [e.rttMs])));
  const dataSegsOut = total('dataSegsOut');
  const retransSegs = total('retransTotal');
  return {
    connections: entries.length,
    ...(minRtts.length === 0 ? {} : { minRttMs: round1(Math.min(...minRtts)) }),
    ...(srtt === undefined ? {} : { rttMs: round1(srtt) }),
    dataSegsOut,
    retransSegs,
    bytesAcked: total('bytesAcked'),
    bytesReceived: total('bytesReceived'),
  };
}

export class TcpInfoSampler {
  private readonly connections = new Map<string, TcpInfoEntry>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ran = false;
  private sampling: Promise<void> | undefined;

  constructor(
    private readonly ports: readonly number[],
    private readonly intervalMs = DEFAULT_SAMPLE_MS,
    private readonly command: readonly [string, ...string[]] = ['ss', '-tinH', 'state', 'established'],
  ) {}

  start(): void {
    if (this.ports.length === 0) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes one last sample and stops; later calls only return the view. */
  async stop(): Promise<TcpInfoView> {
    if (!this.stopped) {
      this.stopped = true;
      clearInterval(this.timer);
      await this.sampling;
      if (this.ports.length > 0) await this.sample();
    }
    return this.view();
  }

  view(): TcpInfoView {
    const byPath = new Map<string, TcpInfoEntry[]>();
    for (const e of this.connections.values()) {
      const key = `${e.remote.address}|${e.local.port}`;
      byPath.set(key, [...(byPath.get(key) ?? []), e]);
    }
    return { measured: this.ran, forPath: (remote, localPort) => summarizePath(byPath.get(`${remote}|${localPort}`) ?? []) };
  }

  private tick(): void {
    // One ss at a time: a slow one must not pile up samples.
    if (this.sampling !== undefined || this.stopped) return;
    this.sampling = this.sample().finally(() => (this.sampling = undefined));
  }

  private sample(): Promise<void> {
    const filter = `( ${this.ports.map((p) => `sport = :${p}`).join(' or ')} )`;
    const [cmd, ...args] = this.command;
    return new Promise((resolve) => {
      execFile(cmd, [...args, filter], { timeout: SS_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
        if (err === null) {
          this.ran = true;
          for (const e of parseSsTcpInfo(stdout)) {
            const key = `${e.local.address}|${e.local.port}|${e.remote.address}|${e.remote.port}`;
            const before = this.connections.get(key);
            // Counters that went back: a new connection from the same peer port; the old one's last sample stays.
            if (before !== undefined && (e.dataSegsOut ?? 0) < (before.dataSegsOut ?? 0)) this.connections.set(`${key}|${this.connections.size}`, before);
            if (before !== undefined || this.connections.size < MAX_CONNECTIONS) this.connections.set(key, e);
          }
        }
        resolve();
      });
    });
  }
}
