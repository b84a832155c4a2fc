/**
 * Progress on stderr while a run goes on. Three modes, decided once:
 * - live (stderr is a TTY, not CI): one line redrawn in place (done/total, failures so far,
 *   elapsed, ETA); failed nodes and other messages are printed above it as they happen;
 * - plain (no TTY, or CI set): one line per node as it finishes, nothing redrawn;
 * - off (--quiet): nothing.
 * The text is made by pure functions of counts and times; the reporter only writes it.
 */
import type { NodeReport } from '../report.js';
import { VERDICTS, isFailure } from '../verdicts.js';

export type ProgressMode = 'live' | 'plain' | 'off';

/** CI systems set CI (to true, 1, or their name); CI=false or CI=0 means "not CI". */
export function isCi(ci: string | undefined): boolean {
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

export function progressMode(opts: { quiet: boolean; isTTY: boolean; ci: string | undefined }): ProgressMode {
  if (opts.quiet) return 'off';
  return opts.isTTY && !isCi(opts.ci) ? 'live' : 'plain';
}

/** 0:07, 12:34, 1:02:03. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Time left at the pace so far; undefined before the first node finishes (no pace yet). */
export function etaMs(done: number, total: number, elapsedMs: number): number | undefined {
  if (done <= 0) return undefined;
  return (elapsedMs / done) * Math.max(0, total - done);
}

export interface ProgressState {
  done: number;
  total: number;
  failed: number;
  elapsedMs: number;
}

/** The live line, cut to the terminal width so it never wraps (a wrapped line cannot be redrawn). */
export function liveLine(s: ProgressState, width: number): string {
  const eta = etaMs(s.done, s.total, s.elapsedMs);
  const text = `twoway: ${s.done}/${s.total} nodes, ${s.failed} failed, ${formatDuration(s.elapsedMs)} elapsed, ETA ${eta === undefined ? '--' : formatDuration(eta)}`;
  return width > 1 && text.length >= width ? text.slice(0, width - 1) : text;
}

/** Plain mode: one line per finished node. */
export function nodeLine(node: NodeReport, done: number, total: number): string {
  return `[${done}/${total}] ${node.name}: ${node.verdict} (${VERDICTS[node.verdict].title}, ${(node.ms / 1000).toFixed(1)} s)`;
}

/** Live mode: a failed node, printed above the live line. */
export function failureLine(node: NodeReport): string {
  return `x ${node.name}: ${node.verdict} (${VERDICTS[node.verdict].title})`;
}

const CLEAR_LINE = '\r\x1b[2K';

export interface ProgressOutput {
  write(text: string): void;
  columns?: number;
}

export class ProgressReporter {
  private state: ProgressState = { done: 0, total: 0, failed: 0, elapsedMs: 0 };
  private drawn = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly mode: ProgressMode,
    private readonly out: ProgressOutput,
    private readonly now: () => number = Date.now,
    private readonly startedAt: number = now(),
  ) {}

  /** A line that must be seen in every mode but off (warnings go straight to stderr instead). */
  message(line: string): void {
    if (this.mode === 'off') return;
    if (this.mode === 'plain') return this.out.write(`${line}\n`);
    this.out.write(`${this.drawn ? CLEAR_LINE : ''}${line}\n`);
    this.drawn = false;
    this.redraw();
  }

  /** The number of nodes is known: the live line appears, and in live mode ticks once a second for the clock. */
  started(total: number): void {
    this.state.total = total;
    if (this.mode !== 'live') return;
    this.redraw();
    this.timer = setInterval(() => this.redraw(), 1000);
    this.timer.unref();
  }

  nodeFinished(node: NodeReport, done: number, total: number): void {
    this.state.done = done;
    this.state.total = total;
    if (isFailure(node.verdict)) this.state.failed += 1;
    if (this.mode === 'plain') this.message(nodeLine(node, done, total));
    else if (this.mode === 'live') {
      if (isFailure(node.verdict)) this.message(failureLine(node));
      else this.redraw();
    }
  }

  /** The run is over: the live line goes away, leaving the terminal to the report. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) this.out.write(CLEAR_LINE);
    this.drawn = false;
    this.stopped = true;
  }

  private redraw(): void {
    if (this.mode !== 'live' || this.state.total === 0 || this.stopped) return;
    this.state.elapsedMs = this.now() - this.startedAt;
    this.out.write(`${CLEAR_LINE}${liveLine(this.state, this.out.columns ?? 80)}`);
    this.drawn = true;
  }
}
