/**
 * The controller's view of half-open connections: while the run lasts, it samples the kernel's
 * SYN_RECV entries on the listener ports (Linux /proc/net/tcp{,6}, in the controller's own network
 * namespace). A node whose SYN shows up here but whose connect timed out lost the controller's
 * SYN-ACK on the way back: return-path-lost, not blocked.
 */
import { readFile } from 'node:fs/promises';
import type { ControllerSynSighting } from '../../src/evidence.js';
import { parseProcNetTcp } from '../../src/proc-net-tcp.js';

/** One peer's SYN_RECV on a listener port, as the evidence carries it (src/evidence.ts). */
export type HalfOpenSighting = ControllerSynSighting;

export interface HalfOpenView {
  /** False where /proc/net/tcp could not be read (not Linux): absence proves nothing then. */
  measured: boolean;
  sightings: HalfOpenSighting[];
}

const SOURCES = [
  ['/proc/net/tcp', false],
  ['/proc/net/tcp6', true],
] as const;
/**
 * A SYN_RECV entry whose SYN-ACKs are lost lives for the kernel's SYN-ACK retries (about a minute):
 * sampling once a second catches every one. One that lives less was answered, and is no lost return
 * path. Each read walks the kernel's whole connection hash table (shared by every namespace), which
 * was a tenth of the controller's CPU when read four times a second (perf, 31-node lab run).
 */
const DEFAULT_SAMPLE_MS = 1_000;
const MAX_SIGHTINGS = 10_000;

export class HalfOpenSampler {
  private readonly sightings = new Map<string, HalfOpenSighting & { peerPorts: Set<number> }>();
  /**
   * Half-open connections already there at the start: the kernel keeps retrying SYN-ACKs for about
   * a minute, so a previous run's would otherwise be taken for this run's.
   */
  private baseline: Set<string> | undefined;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readable = false;
  private sampling: Promise<void> | undefined;

  constructor(
    private readonly ports: ReadonlySet<number>,
    private readonly intervalMs = DEFAULT_SAMPLE_MS,
    private readonly files: readonly (readonly [string, boolean])[] = SOURCES,
  ) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes one last sample and stops; later calls only return the view. */
  async stop(): Promise<HalfOpenView> {
    if (!this.stopped) {
      this.stopped = true;
      clearInterval(this.timer);
      await this.sampling;
      await this.sample();
    }
    return this.view();
  }

  view(): HalfOpenView {
    return {
      measured: this.readable,
      sightings: [...this.sightings.values()].map(({ peerPorts, ...s }) => ({ ...s, connections: peerPorts.size })),
    };
  }

  private tick(): void {
    // One read at a time: a slow /proc read must not pile up samples.
    if (this.sampling !== undefined) return;
    this.sampling = this.sample().finally(() => (this.sampling = undefined));
  }

  private async sample(): Promise<void> {
    const at = Date.now() - this.started;
    const first = this.baseline === undefined;
    const baseline = (this.baseline ??= new Set());
    for (const [file, v6] of this.files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue;
      }
      this.readable = true;
      for (const entry of parseProcNetTcp(text, v6)) {
        if (!this.ports.has(entry.local.port)) continue;
        const connection = `${entry.remote.address}|${entry.remote.port}|${entry.local.port}`;
        if (first) baseline.add(connection);
        if (baseline.has(connection)) continue;
        const key = `${entry.remote.address}|${entry.local.address}|${entry.local.port}`;
        let s = this.sightings.get(key);
        if (s === undefined) {
          if (this.sightings.size >= MAX_SIGHTINGS) continue;
          s = { remote: entry.remote.address, local: entry.local.address, port: entry.local.port, firstAt: at, lastAt: at, connections: 0, peerPorts: new Set() };
          this.sightings.set(key, s);
        }
        s.lastAt = at;
        s.peerPorts.add(entry.remote.port);
      }
    }
  }
}
