/**
 * The controller's view of its callback connections' quality: while the run lasts, it samples
 * TCP_INFO of the established connections on the listener ports with `ss -tinH` (iproute2, in the
 * controller's own network namespace), like halfopen-sampler.ts samples SYN_RECV. Each connection
 * keeps its last sample (the counters only grow); diagnosis joins them to a node's path by peer
 * address and listener port. A connection that opens and closes between two samples is not seen.
 *
 * The samples come from one shell loop started once per run, not one `ss` started by the controller
 * per sample: starting a program from a Node process forks it, page tables and all (about 6 ms of
 * the controller's CPU at its size, measured), four times a second.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
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
/** The line the loop prints after each complete sample. */
const SAMPLE_END = '@twoway-sample-end@';
/**
 * sh -c LOOP sh SECONDS COMMAND...: a sample, its end line, a pause, until the command fails or the
 * controller is gone (the next write to the closed pipe ends the shell).
 */
const LOOP = `iv=$1; shift; while "$@"; do echo ${SAMPLE_END} || exit; sleep "$iv" || exit; done`;
const MAX_CONNECTIONS = 50_000;

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

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
    ...(minRtts.length === 0 ? {} : { minRttMs: round2(Math.min(...minRtts)) }),
    ...(srtt === undefined ? {} : { rttMs: round2(srtt) }),
    dataSegsOut,
    retransSegs,
    bytesAcked: total('bytesAcked'),
    bytesReceived: total('bytesReceived'),
  };
}

export class TcpInfoSampler {
  /**
   * Per path (peer address and listener port), each connection's latest sample, by its four-tuple.
   * Kept by path so that a node's diagnosis reads its own connections, not the whole run's.
   */
  private readonly byPath = new Map<string, Map<string, TcpInfoEntry>>();
  private connectionCount = 0;
  private loop: ChildProcess | undefined;
  private loopEnded: Promise<void> = Promise.resolve();
  private stopped = false;
  private ran = false;

  constructor(
    private readonly ports: readonly number[],
    private readonly intervalMs = DEFAULT_SAMPLE_MS,
    private readonly command: readonly [string, ...string[]] = ['ss', '-tinH', 'state', 'established'],
  ) {}

  start(): void {
    if (this.ports.length === 0 || this.loop !== undefined) return;
    // Its own process group, so a Ctrl-C meant for the run does not end the sampling before the run's last sample.
    const loop = spawn('sh', ['-c', LOOP, 'sh', String(this.intervalMs / 1000), ...this.command, this.filter()], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    this.loop = loop;
    this.loopEnded = new Promise((resolve) => loop.once('close', () => resolve()));
    loop.once('error', () => undefined);
    let pending = '';
    loop.stdout!.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      for (let end = pending.indexOf(`${SAMPLE_END}\n`); end >= 0; end = pending.indexOf(`${SAMPLE_END}\n`)) {
        this.ingest(pending.slice(0, end));
        pending = pending.slice(end + SAMPLE_END.length + 1);
      }
    });
    loop.unref();
    (loop.stdout as unknown as { unref?: () => void }).unref?.();
  }

  /** Ends the loop, takes one last sample and stops; later calls only return the view. */
  async stop(): Promise<TcpInfoView> {
    if (!this.stopped) {
      this.stopped = true;
      const pid = this.loop?.pid;
      if (pid !== undefined && this.loop?.exitCode === null && this.loop.signalCode === null) {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          // Already gone: the command failed, or ss is absent.
        }
      }
      // Bounded: a loop that will not end (it cannot, short of a kernel bug) must not hold the run.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([this.loopEnded, new Promise<void>((resolve) => (bound = setTimeout(resolve, SS_TIMEOUT_MS)))]);
      clearTimeout(bound);
      if (this.ports.length > 0) await this.sample();
    }
    return this.view();
  }

  view(): TcpInfoView {
    return { measured: this.ran, forPath: (remote, localPort) => summarizePath([...(this.byPath.get(`${remote}|${localPort}`)?.values() ?? [])]) };
  }

  private filter(): string {
    return `( ${this.ports.map((p) => `sport = :${p}`).join(' or ')} )`;
  }

  /** The run's last sample, after the loop has ended. */
  private sample(): Promise<void> {
    const [cmd, ...args] = this.command;
    return new Promise((resolve) => {
      execFile(cmd, [...args, this.filter()], { timeout: SS_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
        if (err === null) this.ingest(stdout);
        resolve();
      });
    });
  }

  /** One whole sample: each connection keeps its latest counters. */
  private ingest(ssOutput: string): void {
    this.ran = true;
    for (const e of parseSsTcpInfo(ssOutput)) {
      const pathKey = `${e.remote.address}|${e.local.port}`;
      const path = this.byPath.get(pathKey) ?? new Map<string, TcpInfoEntry>();
      const key = `${e.local.address}|${e.remote.port}`;
      const before = path.get(key);
      if (before === undefined) {
        if (this.connectionCount >= MAX_CONNECTIONS) continue;
        this.connectionCount++;
      } else if ((e.dataSegsOut ?? 0) < (before.dataSegsOut ?? 0)) {
        // Counters that went back: a new connection from the same peer port; the old one's last sample stays.
        path.set(`${key}|${path.size}`, before);
        this.connectionCount++;
      }
      path.set(key, e);
      this.byPath.set(pathKey, path);
    }
  }
}
