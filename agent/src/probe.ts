/**
 * A planned probe turned into exchanges: hello, download, upload, hold and ftp are one exchange; status
 * is `posts` POSTs, each on a new connection, `intervalMs` apart, the way a device reports progress
 * during an update. The probe deadline (probeMs) applies to each exchange, since a status probe's
 * gaps alone may be longer than it (a hold bounds its quiet time itself).
 */
import { PATHS, AGENT_ERROR_CODES } from '../../src/protocol.js';
import type { Plan, PlannedProbe, ProbeResult, StatusPost } from '../../src/protocol.js';
import { Attempt } from './attempt.js';
import type { AttemptSpec } from './attempt.js';
import { downloadCheck, helloCheck, statusCheck, uploadCheck } from './body-checks.js';
import { now, since } from './clock.js';
import type { Exchange, ExchangeResult, Target } from './exchange.js';
import { FtpExchange } from './ftp.js';
import { Hold } from './hold.js';

export interface ProbeRun {
  /** Resolves once with the probe's result; never rejects. */
  readonly result: Promise<ProbeResult>;
  /** The agent deadline passed: end now and return the result for where the probe stands. */
  expire(): ProbeResult;
}

const AGENT_DEADLINE = AGENT_ERROR_CODES.agentDeadline;

function query(probe: PlannedProbe, extra = ''): string {
  return `?probe=${encodeURIComponent(probe.id)}${extra}`;
}

function target(probe: PlannedProbe, onConnected?: () => void): Target {
  const { proto, address, port, source } = probe;
  const base: Target = source === undefined ? { proto, address, port } : { proto, address, port, source };
  return onConnected === undefined ? base : { ...base, onConnected };
}

function toProbeResult(id: string, ms: number, exchange: ExchangeResult, posts?: StatusPost[]): ProbeResult {
  const result: ProbeResult = { t: 'probe', id, ...exchange, ms };
  if (posts !== undefined) result.posts = posts;
  return result;
}

/** For probes still queued when the agent deadline passed: nothing was sent, so no network verdict. */
export function notStarted(probe: PlannedProbe): ProbeResult {
  return {
    t: 'probe',
    id: probe.id,
    outcome: 'error',
    phase: 'connect',
    ms: 0,
    error: { code: AGENT_ERROR_CODES.notStarted, message: 'the agent deadline passed before this probe started' },
  };
}

/**
 * `retry`: the second attempt of a stalled transfer, marked ?attempt=2 so the listener's ledger tells
 * the two apart. `onConnected`: each time a TCP connection of the probe to its target completes.
 */
export function startProbe(probe: PlannedProbe, plan: Plan, retry = false, onConnected?: () => void): ProbeRun {
  // plan.ts guarantees size (and sha256 for downloads) and holdMs for the kinds that need them.
  const size = probe.size ?? 0;
  const to = target(probe, onConnected);
  const transferQuery = query(probe, retry ? '&attempt=2' : '');
  switch (probe.kind) {
    case 'status':
      return new StatusProbe(probe, plan, to);
    case 'hold':
      return new SingleExchangeProbe(probe, new Hold(to, PATHS.hold + query(probe), probe.holdMs ?? 0, plan.deadlines, plan));
    case 'hello':
      return singleAttempt(probe, plan, { ...to, method: 'GET', path: PATHS.hello + query(probe), check: helloCheck() });
    case 'download':
      return singleAttempt(probe, plan, { ...to, method: 'GET', path: PATHS.blob + transferQuery, check: downloadCheck(size, probe.sha256 ?? '') });
    case 'upload':
      return singleAttempt(probe, plan, { ...to, method: 'POST', path: PATHS.upload + transferQuery, uploadSize: size, check: uploadCheck(size) });
    case 'ftp':
      return new SingleExchangeProbe(probe, new FtpExchange(to, { name: probe.id, size, sha256: probe.sha256 ?? '' }, plan.node, plan.deadlines, plan));
  }
}

function singleAttempt(probe: PlannedProbe, plan: Plan, spec: AttemptSpec): ProbeRun {
  return new SingleExchangeProbe(probe, new Attempt(spec, plan.deadlines, plan));
}

/** hello, download, upload and hold. */
class SingleExchangeProbe implements ProbeRun {
  readonly result: Promise<ProbeResult>;
  private readonly started = now();

  constructor(
    private readonly probe: PlannedProbe,
    private readonly exchange: Exchange,
  ) {
    this.result = exchange.start().then((r) => toProbeResult(probe.id, since(this.started), r));
  }

  expire(): ProbeResult {
    return toProbeResult(this.probe.id, since(this.started), this.exchange.expire(AGENT_DEADLINE, 'agent deadline'));
  }
}

/** status: several POSTs; the outcome is the first failure's, and every post is listed. */
class StatusProbe implements ProbeRun {
  readonly result: Promise<ProbeResult>;
  private readonly started = now();
  private readonly posts: StatusPost[] = [];
  private firstFailure: ExchangeResult | undefined;
  private last: ExchangeResult | undefined;
  private current: Attempt | undefined;
  private pause: { timer: NodeJS.Timeout; resume: () => void } | undefined;
  private final: ProbeResult | undefined;

  constructor(
    private readonly probe: PlannedProbe,
    private readonly plan: Plan,
    private readonly to: Target,
  ) {
    this.result = this.run();
  }

  expire(): ProbeResult {
    if (this.final !== undefined) return this.final;
    if (this.current !== undefined) {
      const cut = this.current.expire(AGENT_DEADLINE, 'agent deadline');
      this.record(cut);
    }
    if (this.pause !== undefined) {
      clearTimeout(this.pause.timer);
      this.pause.resume();
    }
    return this.conclude();
  }

  private async run(): Promise<ProbeResult> {
    const planned = this.probe.posts ?? 1;
    for (let seq = 1; seq <= planned; seq++) {
      if (seq > 1) await this.wait(this.probe.intervalMs ?? 0);
      if (this.final !== undefined) return this.final;
      const attempt = new Attempt(this.postSpec(seq), this.plan.deadlines, this.plan);
      this.current = attempt;
      const outcome = await attempt.start();
      this.current = undefined;
      // expire() may have recorded this post already and concluded.
      if (this.final !== undefined) return this.final;
      this.record(outcome);
    }
    return this.conclude();
  }

  private postSpec(seq: number): AttemptSpec {
    return {
      ...this.to,
      method: 'POST',
      path: PATHS.status + query(this.probe, `&seq=${seq}`),
      body: JSON.stringify({ seq, state: 'probing', node: this.plan.node }),
      check: statusCheck(),
    };
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const resume = (): void => {
        this.pause = undefined;
        resolve();
      };
      this.pause = { timer: setTimeout(resume, ms), resume };
    });
  }

  private record(post: ExchangeResult): void {
    this.posts.push({ ms: post.ms, ok: post.outcome === 'ok' });
    this.last = post;
    if (post.outcome !== 'ok' && this.firstFailure === undefined) this.firstFailure = post;
  }

  private conclude(): ProbeResult {
    if (this.final !== undefined) return this.final;
    const ms = since(this.started);
    const planned = this.probe.posts ?? 1;
    const basis = this.firstFailure ?? this.last;
    if (this.firstFailure === undefined && this.posts.length < planned) {
      // Cut short between posts with none failed: what was sent worked, but the plan was not done.
      const partial: ProbeResult = {
        t: 'probe',
        id: this.probe.id,
        outcome: 'error',
        phase: 'connect',
        ms,
        posts: this.posts,
        error: { code: AGENT_DEADLINE, message: `agent deadline passed after ${this.posts.length} of ${planned} posts` },
      };
      if (basis?.local !== undefined) partial.local = basis.local;
      if (basis?.fingerprint !== undefined) partial.fingerprint = basis.fingerprint;
      this.final = partial;
    } else if (basis !== undefined) {
      this.final = toProbeResult(this.probe.id, ms, basis, this.posts);
    }
    // planned >= 1 and a post is recorded before every conclude() but the one above.
    return this.final ?? notStarted(this.probe);
  }
}
