/**
 * Classification: a pure function of (plan, agent evidence, ledger, forward results) to verdicts.
 * No I/O here; every decision reads flat evidence, so each rule is testable from a table.
 */
import { AGENT_ERROR_CODES, type AgentEvent, type AgentFacts, type AgentHalfOpen, type AgentHello, type PlannedProbe, type ProbeResult } from '../src/protocol.js';
import type { NodeReport, PathReport } from '../src/report.js';
import { VERDICTS, worse, type NodeKind, type PathKind, type VerdictKind } from '../src/verdicts.js';
import type { LedgerRequest } from './ledger.js';
import type { ForwardResult } from './probers/types.js';

/** What SSH gave back; the shape of SshSession without the process details. */
export interface SessionEvidence {
  exitCode: number | null;
  stderr: string;
  timedOut: boolean;
  interrupted: boolean;
  invalidOutput?: string;
  ms: number;
}

export interface ForwardEvidence {
  address: string;
  port: number;
  purpose: string;
  result: ForwardResult;
}

export interface NodeEvidence {
  name: string;
  addresses: string[];
  profile: string;
  callbackAddresses: string[];
  probes: PlannedProbe[];
  /** Undefined when the node never got its turn (run interrupted first). */
  session?: SessionEvidence;
  events: AgentEvent[];
  ledger: LedgerRequest[];
  forward: ForwardEvidence[];
}

export interface Thresholds {
  /** Below this, a completed large download is 'slow'. */
  minMbps: number;
  /** Only downloads at least this large are used to judge throughput. */
  minBytesForThroughput: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { minMbps: 10, minBytesForThroughput: 256 * 1024 };

// ---------------------------------------------------------------------------------------------
// Node level: did SSH and the agent work?

const SSH_STDERR_RULES: readonly [RegExp, NodeKind][] = [
  [/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i, 'ssh-hostkey-mismatch'],
  [/No \S+ host key is known|Host key verification failed/i, 'ssh-hostkey-unknown'],
  [/Connection refused/i, 'ssh-refused'],
  [/Permission denied|Too many authentication failures/i, 'ssh-auth-failed'],
  [/timed out|No route to host|Network is unreachable|Could not resolve hostname|Name or service not known|Temporary failure in name resolution/i, 'ssh-unreachable'],
];

/** The node-level verdict, or undefined when SSH and the agent both did their part. */
export function classifySession(session: SessionEvidence, events: readonly AgentEvent[]): NodeKind | undefined {
  const sawAgent = events.some((e) => e.t === 'agent');
  const done = events.some((e) => e.t === 'done');
  if (!sawAgent && session.exitCode === 255) {
    const rule = SSH_STDERR_RULES.find(([pattern]) => pattern.test(session.stderr));
    return rule?.[1] ?? 'ssh-unreachable';
  }
  if (!sawAgent && session.exitCode === 127) return 'agent-no-runtime';
  if (session.timedOut && !done) return sawAgent ? 'agent-timeout' : 'ssh-unreachable';
  if (session.interrupted) return undefined;
  if (session.invalidOutput !== undefined || events.some((e) => e.t === 'fatal') || !done) return 'agent-failed';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Callback paths: one per (controller address, protocol, source), from that path's probes.

interface ProbeEvidence {
  probe: PlannedProbe;
  result?: ProbeResult;
  ledger: LedgerRequest[];
}

interface PathJudgement {
  verdict: PathKind;
  summary: string;
  evidence: Record<string, unknown>;
}

const BYTES_PER_MBIT = 1_000_000 / 8;

function mbps(bytes: number, ms: number): number {
  return ms <= 0 ? Infinity : bytes / BYTES_PER_MBIT / (ms / 1000);
}

function sizeLabel(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** What a single failed probe says, or undefined when it passed. */
function judgeProbe(e: ProbeEvidence): PathJudgement | undefined {
  const { probe, result, ledger } = e;
  const what = probe.kind === 'download' ? `download of ${sizeLabel(probe.size ?? 0)}` : probe.kind;
  const seen = ledger.length > 0;
  const base = {
    probe: probe.id,
    outcome: result?.outcome ?? 'missing',
    phase: result?.phase,
    ms: result?.ms,
    error: result?.error,
    ledgerSawRequest: seen,
    ledgerBytesWritten: ledger.reduce((n, r) => n + r.bytesWritten, 0),
  };
  if (result === undefined) return { verdict: 'not-measured', summary: `${what}: the agent reported nothing`, evidence: base };
  switch (result.outcome) {
    case 'ok':
      return undefined;
    case 'timeout':
      return seen
        ? { verdict: 'return-path-lost', summary: `${what}: the listener saw the request, the agent never got the answer`, evidence: base }
        : { verdict: 'blocked', summary: `${what}: connect timed out after ${result.ms} ms; the listener saw nothing`, evidence: base };
    case 'refused':
      return { verdict: 'rejected', summary: `${what}: connection refused`, evidence: base };
    case 'reset':
      return result.phase === 'connect' || !seen
        ? { verdict: 'rejected', summary: `${what}: connection reset`, evidence: base }
        : { verdict: 'truncated', summary: `${what}: connection reset after the request was seen`, evidence: base };
    case 'unreachable':
      return { verdict: 'no-route', summary: `${what}: ${result.error?.code ?? 'unreachable'}`, evidence: base };
    case 'no-response':
      return seen
        ? { verdict: 'return-path-lost', summary: `${what}: the listener answered (${ledger.some((r) => r.completed) ? 'response complete' : 'response started'}), the agent never got it`, evidence: base }
        : { verdict: 'stalled', summary: `${what}: connected, but the listener never saw the request`, evidence: { ...base, stallAt: 0 } };
    case 'stalled':
      // The probe deadline, not the stall timer, ended it: bytes were still flowing, only slowly.
      if (result.error?.code === AGENT_ERROR_CODES.probeDeadline && (result.bytes ?? 0) > 0) {
        const rate = Math.round(mbps(result.bytes ?? 0, result.ms) * 10) / 10;
        return {
          verdict: 'slow',
          summary: `${what}: only ${result.bytes} of ${probe.size ?? '?'} bytes in ${result.ms} ms (${rate} Mbit/s)`,
          evidence: { ...base, bytes: result.bytes, throughputMbps: rate },
        };
      }
      return { verdict: 'stalled', summary: `${what}: stalled at byte ${result.bytes ?? 0} of ${probe.size ?? '?'}`, evidence: { ...base, stallAt: result.bytes ?? 0 } };
    case 'truncated':
      return { verdict: 'truncated', summary: `${what}: connection closed at byte ${result.bytes ?? 0} of ${probe.size ?? '?'}`, evidence: { ...base, bytes: result.bytes } };
    case 'corrupt':
      return { verdict: 'truncated', summary: `${what}: content altered on the way (SHA-256 mismatch)`, evidence: { ...base, corrupt: true } };
    case 'tls-mismatch':
      return { verdict: 'tls-intercepted', summary: `${what}: certificate ${result.fingerprint ?? '?'} is not the pinned one`, evidence: { ...base, fingerprint: result.fingerprint } };
    case 'tls-error':
      return { verdict: 'tls-failed', summary: `${what}: TLS handshake failed (${result.error?.message ?? 'no detail'})`, evidence: base };
    case 'http-error':
      return { verdict: 'rejected', summary: `${what}: HTTP ${result.httpStatus ?? '?'} from something on the path`, evidence: { ...base, httpStatus: result.httpStatus } };
    case 'error':
      return { verdict: 'not-measured', summary: `${what}: ${result.error?.message ?? 'agent error'}`, evidence: base };
  }
}

/** A download that stopped arriving (not one that was merely slow when its deadline came). */
function isStuck(result: ProbeResult | undefined): boolean {
  if (result === undefined) return false;
  if (result.outcome === 'no-response') return true;
  return result.outcome === 'stalled' && result.error?.code !== AGENT_ERROR_CODES.probeDeadline;
}

function judgeCallbackPath(items: ProbeEvidence[], facts: AgentFacts | undefined, thresholds: Thresholds): PathJudgement {
  const failures = items.map(judgeProbe).filter((j): j is PathJudgement => j !== undefined);
  const downloads = items.filter((i) => i.probe.kind === 'download').sort((a, b) => (a.probe.size ?? 0) - (b.probe.size ?? 0));
  const passedDownloads = downloads.filter((d) => d.result?.outcome === 'ok');
  const largestPassing = passedDownloads.at(-1)?.probe.size;
  const hello = items.find((i) => i.probe.kind === 'hello');

  // Small answers pass and a larger download never finishes: the size decides, not the path (an MTU
  // black hole looks like this). Checked before the generic rules, which would call it a lost answer.
  const smallPassed = hello?.result?.outcome === 'ok' || passedDownloads.length > 0;
  const stuck = downloads.find((d) => isStuck(d.result));
  if (smallPassed && stuck !== undefined) {
    const at = stuck.result?.bytes ?? 0;
    const written = stuck.ledger.reduce((n, r) => n + r.bytesWritten, 0);
    return {
      verdict: 'stalled',
      summary:
        `download of ${sizeLabel(stuck.probe.size ?? 0)} stalled at byte ${at} (the listener had sent ${written})` +
        (largestPassing === undefined ? '; only the small hello/status answers pass' : `; up to ${sizeLabel(largestPassing)} passes`),
      evidence: { probe: stuck.probe.id, outcome: stuck.result?.outcome, stallAt: at, listenerBytesWritten: written, largestPassing, failures: failures.length },
    };
  }

  const first = failures.reduce<PathJudgement | undefined>((acc, j) => (acc === undefined || worse(acc.verdict, j.verdict) !== acc.verdict ? j : acc), undefined);
  if (first !== undefined) {
    // Stalls with smaller transfers passing were named above; a cut transfer gets its size boundary here.
    const summary = largestPassing !== undefined && first.verdict === 'truncated' ? `${first.summary}; up to ${sizeLabel(largestPassing)} passes` : first.summary;
    return { verdict: first.verdict, summary, evidence: { ...first.evidence, largestPassing, failures: failures.length } };
  }

  const seen = hello?.result?.seen;
  const source = hello?.probe.source ?? facts?.routes.find((r) => r.to === hello?.probe.address)?.source;
  if (seen !== undefined && source !== undefined && seen.address !== source) {
    return {
      verdict: 'source-mismatch',
      summary: `the controller saw ${seen.address}, the node sends from ${source}`,
      evidence: { seen, nodeSource: source },
    };
  }

  const measured = downloads
    .filter((d) => d.result?.outcome === 'ok' && (d.probe.size ?? 0) >= thresholds.minBytesForThroughput)
    .map((d) => ({ size: d.probe.size ?? 0, ms: d.result?.ms ?? 0 }));
  const best = measured.at(-1);
  const evidence: Record<string, unknown> = { seen, nodeSource: source, largestPassing };
  if (best !== undefined) {
    const rate = mbps(best.size, best.ms);
    evidence.throughputMbps = Math.round(rate * 10) / 10;
    if (rate < thresholds.minMbps) {
      return {
        verdict: 'slow',
        summary: `${sizeLabel(best.size)} took ${best.ms} ms (${evidence.throughputMbps} Mbit/s, below ${thresholds.minMbps})`,
        evidence,
      };
    }
  }
  const status = items.find((i) => i.probe.kind === 'status')?.result?.posts;
  if (status !== undefined) evidence.statusMs = status.map((p) => p.ms);
  return { verdict: 'ok', summary: 'hello, downloads and status all passed', evidence };
}

const FORWARD_VERDICTS: Record<ForwardResult['outcome'], PathKind> = {
  open: 'ok',
  refused: 'rejected',
  timeout: 'blocked',
  unreachable: 'no-route',
  error: 'not-measured',
};

function judgeForward(f: ForwardEvidence, halfOpen: AgentHalfOpen | undefined): PathJudgement {
  const evidence = { purpose: f.purpose, outcome: f.result.outcome, ms: f.result.ms, error: f.result.error };
  // A timeout here, while the node's kernel holds the SYN as half-open: it arrived, the answer was lost.
  const synSeen = f.result.outcome === 'timeout' ? halfOpen?.entries.find((e) => e.local.address === f.address && e.local.port === f.port) : undefined;
  if (synSeen !== undefined) {
    return {
      verdict: 'return-path-lost',
      summary: `port ${f.port}: the node got the SYN from ${synSeen.remote.address} (SYN_RECV), its answer never reached the controller`,
      evidence: { ...evidence, nodeHalfOpen: synSeen },
    };
  }
  const summary =
    f.result.outcome === 'open'
      ? `port ${f.port} open (${f.result.ms} ms)`
      : f.result.outcome === 'timeout'
        ? `port ${f.port}: no answer within ${f.result.ms} ms`
        : `port ${f.port}: ${f.result.error?.code ?? f.result.outcome}`;
  return { verdict: FORWARD_VERDICTS[f.result.outcome], summary, evidence };
}

function forwardPath(f: ForwardEvidence, halfOpen: AgentHalfOpen | undefined): PathReport {
  return { direction: 'forward', from: 'controller', to: f.address, port: f.port, proto: 'tcp', ...judgeForward(f, halfOpen) };
}

export function classifyNode(n: NodeEvidence, thresholds: Thresholds = DEFAULT_THRESHOLDS): NodeReport {
  const hello = n.events.find((e): e is AgentHello => e.t === 'agent');
  const facts = n.events.find((e): e is AgentFacts => e.t === 'facts');
  const results = new Map(n.events.filter((e): e is ProbeResult => e.t === 'probe').map((r) => [r.id, r]));
  const nodeVerdict = n.session === undefined ? undefined : classifySession(n.session, n.events);

  const groups = new Map<string, ProbeEvidence[]>();
  for (const probe of n.probes) {
    const key = `${probe.source ?? ''}|${probe.address}|${probe.proto}|${probe.port}`;
    const list = groups.get(key) ?? [];
    const result = results.get(probe.id);
    list.push(result === undefined ? { probe, ledger: n.ledger.filter((r) => r.probe === probe.id) } : { probe, result, ledger: n.ledger.filter((r) => r.probe === probe.id) });
    groups.set(key, list);
  }

  const paths: PathReport[] = [];
  for (const items of groups.values()) {
    const probe = items[0]!.probe;
    const source = probe.source ?? facts?.routes.find((r) => r.to === probe.address)?.source ?? n.name;
    const notRun = n.session === undefined || (nodeVerdict !== undefined && items.every((i) => i.result === undefined));
    const judgement: PathJudgement = notRun
      ? {
          verdict: 'not-measured',
          summary: n.session === undefined ? 'run interrupted before this node' : `no agent results (${VERDICTS[nodeVerdict!].title})`,
          evidence: {},
        }
      : judgeCallbackPath(items, facts, thresholds);
    paths.push({ direction: 'callback', from: source, to: probe.address, port: probe.port, proto: probe.proto, ...judgement });
  }
  const halfOpen = n.events.find((e): e is AgentHalfOpen => e.t === 'halfopen');
  paths.push(...n.forward.map((f) => forwardPath(f, halfOpen)));

  let verdict: VerdictKind = nodeVerdict ?? 'ok';
  for (const p of paths) verdict = worse(verdict, p.verdict);
  if (nodeVerdict !== undefined) verdict = nodeVerdict;

  const report: NodeReport = {
    name: n.name,
    addresses: n.addresses,
    profile: n.profile,
    verdict,
    callbackAddresses: n.callbackAddresses,
    paths,
    ms: n.session?.ms ?? 0,
  };
  if (nodeVerdict !== undefined && n.session !== undefined) {
    report.nodeVerdict = nodeVerdict;
    report.nodeEvidence = {
      exitCode: n.session.exitCode,
      stderr: n.session.stderr.trim().split('\n').slice(-5).join('\n'),
      timedOut: n.session.timedOut,
      invalidOutput: n.session.invalidOutput,
      fatal: n.events.find((e) => e.t === 'fatal'),
    };
  }
  if (hello !== undefined) report.agent = { flavour: hello.flavour, version: hello.version, runtime: hello.runtime, platform: hello.platform };
  return report;
}
