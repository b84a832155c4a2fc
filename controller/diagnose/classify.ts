/**
 * Classification: a pure function of (plan, agent evidence, ledger, forward results) to verdicts.
 * No I/O here; every decision reads flat evidence, so each rule is testable from a table.
 */
import { AGENT_ERROR_CODES, type AgentEvent, type AgentFacts, type AgentHalfOpen, type AgentHello, type Endpoint, type PlannedProbe, type ProbeResult } from '../../src/protocol.js';
import type { NicReach, NodeReport, PathReport } from '../../src/report.js';
import { VERDICTS, isFailure, worse, type NodeKind, type PathKind, type VerdictKind } from '../../src/verdicts.js';
import type { HalfOpenSighting, HalfOpenView } from '../host/halfopen-sampler.js';
import type { ConnectionView, LedgerConnection, LedgerRequest } from '../wire/ledger.js';
import type { ForwardResult } from '../probers/types.js';
import type { ForwardProbe } from '../../src/profiles.js';
import { hostPort } from '../../src/endpoint.js';

/** What SSH gave back; the shape of SshSession without the process details. */
export interface SessionEvidence {
  exitCode: number | null;
  stderr: string;
  timedOut: boolean;
  interrupted: boolean;
  invalidOutput?: string;
  ms: number;
  /** Bytes the remote command wrote to stdout (the runtime list first): any means SSH was up. */
  stdoutBytes?: number;
  /** The agent flavour sent and its size as sent. */
  agent?: { flavour: string; scriptBytes: number };
  /** The runtime detection ran but no flavour was sent (a forced runtime the node lacks). */
  runtimeProblem?: string;
}

export interface ForwardEvidence {
  address: string;
  port: number;
  probe: ForwardProbe;
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
  /** The listener's TCP connections from the local endpoints the agent reported (Ledger.connectionsFor). */
  connections?: ConnectionView;
  forward: ForwardEvidence[];
  /** The node address SSH reached, when it is not the first (a dual-homed node's fallback). */
  sshAddress?: string;
  /** No agent by design (the profile is agentless): only forward paths, and no SSH verdict. */
  agentless?: boolean;
  /** Wall time of the node's test when there was no SSH session to time it. */
  ms?: number;
  /** The controller's SYN_RECV samples on its listener ports (all peers; classification picks this node's). */
  controllerHalfOpen?: HalfOpenView;
}

export interface Thresholds {
  /** Below this, a completed large download is 'slow'. */
  minMbps: number;
  /** Only downloads at least this large are used to judge throughput. */
  minBytesForThroughput: number;
  /** The firmware bundle whose transfer time is estimated from the measured throughput. */
  firmwareBytes: number;
}

export const DEFAULT_FIRMWARE_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_THRESHOLDS: Thresholds = { minMbps: 10, minBytesForThroughput: 256 * 1024, firmwareBytes: DEFAULT_FIRMWARE_BYTES };

// ---------------------------------------------------------------------------------------------
// Node level: did SSH and the agent work?

const SSH_STDERR_RULES: readonly [RegExp, NodeKind][] = [
  [/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i, 'ssh-hostkey-mismatch'],
  [/No \S+ host key is known|Host key verification failed/i, 'ssh-hostkey-unknown'],
  [/Connection refused/i, 'ssh-refused'],
  [/Permission denied|Too many authentication failures/i, 'ssh-auth-failed'],
  [/timed out|No route to host|Network is unreachable|Could not resolve hostname|Name or service not known|Temporary failure in name resolution/i, 'ssh-unreachable'],
];

/**
 * stderr lines only a session past authentication writes: ssh's own at LogLevel VERBOSE, and the
 * detection snippet's (exactly its words: a server's pre-login banner could say "twoway:" too).
 */
const PAST_AUTH = /^(Authenticated to |twoway: no agent (runtime on PATH|flavour chosen))/m;

/** Whether the session got the remote command running, whatever the agent did after. */
function sshWasUp(session: SessionEvidence): boolean {
  return (session.stdoutBytes ?? 0) > 0 || session.runtimeProblem !== undefined || PAST_AUTH.test(session.stderr);
}

/** The node-level verdict, or undefined when SSH and the agent both did their part. */
export function classifySession(session: SessionEvidence, events: readonly AgentEvent[]): NodeKind | undefined {
  const sawAgent = events.some((e) => e.t === 'agent');
  const done = events.some((e) => e.t === 'done');
  if (!sawAgent && session.exitCode === 255) {
    const rule = SSH_STDERR_RULES.find(([pattern]) => pattern.test(session.stderr));
    return rule?.[1] ?? 'ssh-unreachable';
  }
  if (!sawAgent && (session.exitCode === 127 || session.runtimeProblem !== undefined)) return 'agent-no-runtime';
  // Stopped at the deadline: the agent's fault once SSH was up, even if it never said hello.
  if (session.timedOut && !done) return sawAgent || sshWasUp(session) ? 'agent-timeout' : 'ssh-unreachable';
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
  /**
   * The listener's record of the connection the agent reported using; null when the listener has
   * none from that endpoint, undefined when that cannot be told (no endpoint reported, or records
   * dropped). Through a NAT the listener sees another endpoint, so null never decides a verdict.
   */
  connection?: LedgerConnection | null;
}

interface PathJudgement {
  verdict: PathKind;
  summary: string;
  evidence: Record<string, unknown>;
}

/** What a callback path's judgement may consult besides its own probes. */
interface PathContext {
  facts: AgentFacts | undefined;
  thresholds: Thresholds;
  /** The controller's SYN_RECV sighting of this path's source on a listener port. */
  controllerSynFrom(port: number): HalfOpenSighting | undefined;
}

const BYTES_PER_MBIT = 1_000_000 / 8;

function mbps(bytes: number, ms: number): number {
  return ms <= 0 ? Infinity : bytes / BYTES_PER_MBIT / (ms / 1000);
}

export function sizeLabel(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024 && bytes % (1024 * 1024 * 1024) === 0) return `${bytes / (1024 * 1024 * 1024)} GiB`;
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

function durationLabel(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Throughput, and what it means for the firmware bundle the operator will push. */
function throughput(bytes: number, ms: number, thresholds: Thresholds): { throughputMbps: number; firmwareBytes: number; firmwareEstimateSec: number; text: string } {
  const rate = mbps(bytes, ms);
  const seconds = thresholds.firmwareBytes / (rate * BYTES_PER_MBIT);
  return {
    throughputMbps: Math.round(rate * 10) / 10,
    firmwareBytes: thresholds.firmwareBytes,
    firmwareEstimateSec: Math.round(seconds),
    text: `a ${sizeLabel(thresholds.firmwareBytes)} firmware bundle would take about ${durationLabel(seconds)}`,
  };
}

function describe(probe: PlannedProbe): string {
  switch (probe.kind) {
    case 'download':
      return `download of ${sizeLabel(probe.size ?? 0)}`;
    case 'upload':
      return `upload of ${sizeLabel(probe.size ?? 0)}`;
    case 'hold':
      return 'idle hold';
    case 'ftp':
      return `FTP download of ${sizeLabel(probe.size ?? 0)}`;
    case 'hello':
    case 'status':
      return probe.kind;
  }
}

const sum = (ledger: readonly LedgerRequest[], field: 'bytesWritten' | 'bytesReceived'): number => ledger.reduce((n, r) => n + (r[field] ?? 0), 0);

/** A hold that worked when opened and then stopped carrying traffic: which direction died, from both sides. */
function judgeHold(e: ProbeEvidence, result: ProbeResult): PathJudgement | undefined {
  if (result.outcome === 'ok' || result.phase !== 'hold' || result.hold === undefined) return undefined;
  const { idleMs, push, pong } = result.hold;
  const listenerGotPing = e.ledger.some((r) => r.holdPingReceived === true);
  const lost = [push ? undefined : 'the controller\'s push never reached the node', pong ? undefined : listenerGotPing ? 'the answer to the node\'s ping was lost' : 'the node\'s ping never reached the controller'].filter(
    (x): x is string => x !== undefined,
  );
  const how = result.outcome === 'reset' ? 'the connection was reset' : result.outcome === 'truncated' ? 'the connection was closed' : lost.join('; ');
  return {
    verdict: 'idle-cut',
    summary: `idle hold: after ${(idleMs / 1000).toFixed(1)} s quiet, ${how}`,
    evidence: { probe: e.probe.id, outcome: result.outcome, idleMs, push, pong, listenerGotPing, listenerPushSent: e.ledger.some((r) => r.holdPushSent === true) },
  };
}

/** What every probe's evidence starts with: which probe, and how the agent said it ended. */
function probeBasics({ probe, result }: ProbeEvidence): Record<string, unknown> {
  return { probe: probe.id, outcome: result?.outcome ?? 'missing', phase: result?.phase, ms: result?.ms, error: result?.error };
}

function endpointLabel({ address, port }: Endpoint): string {
  return hostPort(address, port);
}

/** What the listener saw of the probe's connection: accepted or not, when, from where, and how TLS ended. */
function connectionEvidence({ connection, result }: ProbeEvidence): Record<string, unknown> {
  if (connection === undefined) return {};
  if (connection === null) return { listenerConnection: { accepted: false, agentLocal: result?.local } };
  const { at, peer, tls, tlsError } = connection;
  return { listenerConnection: { accepted: true, at, from: peer, ...(tls === undefined ? {} : { tls }), ...(tlsError === undefined ? {} : { tlsError }) } };
}

/** The connection as the listener saw it, as the end of a summary ('; the listener accepted ...'), or ''. */
function connectionNote(connection: LedgerConnection | null | undefined, local: Endpoint | undefined): string {
  if (connection === undefined) return '';
  if (connection === null) return local === undefined ? '' : `; the listener recorded no connection from the agent's end ${endpointLabel(local)}`;
  return `; the listener accepted the connection from ${endpointLabel(connection.peer)}`;
}

/** status: the post the outcome is about (the first that failed), numbered like the request's seq. */
function failedPost({ probe, result }: ProbeEvidence): number | undefined {
  if (probe.kind !== 'status') return undefined;
  const index = result?.posts?.findIndex((p) => !p.ok) ?? -1;
  return index === -1 ? undefined : index + 1;
}

/** What a single failed probe says, or undefined when it passed; `what` starts each summary. */
function judgeProbe(e: ProbeEvidence, ctx: PathContext, what?: string): PathJudgement | undefined {
  const { probe, result, connection } = e;
  // A status probe's posts are requests of their own: the failing one is judged by its entry alone.
  const post = failedPost(e);
  const ledger = post === undefined ? e.ledger : e.ledger.filter((r) => r.seq === post);
  what ??= post === undefined ? describe(probe) : `status post ${post} of ${probe.posts ?? result?.posts?.length ?? '?'}`;
  const seen = ledger.length > 0;
  const accepted = connection !== null && connection !== undefined ? connection : undefined;
  const base = {
    ...probeBasics(e),
    ...(post === undefined ? {} : { statusPost: post }),
    ledgerSawRequest: seen,
    ledgerBytesWritten: sum(ledger, 'bytesWritten'),
    ledgerCompleted: ledger.some((r) => r.completed),
    ...connectionEvidence(e),
  };
  if (result === undefined) return { verdict: 'not-measured', summary: `${what}: the agent reported nothing`, evidence: base };
  if (probe.kind === 'hold') {
    const cut = judgeHold(e, result);
    if (cut !== undefined) return cut;
  }
  switch (result.outcome) {
    case 'ok':
      return undefined;
    case 'timeout': {
      if (seen) return { verdict: 'return-path-lost', summary: `${what}: the listener saw the request, the agent never got the answer`, evidence: base };
      // The listener accepts only after the node's final ACK, which the node sends only once it has
      // the SYN-ACK: the handshake did complete, but only as the agent's deadline passed (SYNs or
      // SYN-ACKs retransmitted on a lossy path, or a very slow one). Not a lost way back.
      if (accepted !== undefined) {
        return {
          verdict: 'slow',
          summary: `${what}: the listener accepted the connection from ${endpointLabel(accepted.peer)} only as the agent's ${result.ms} ms connect deadline passed: handshake packets were lost and retransmitted, or the path is very slow`,
          evidence: base,
        };
      }
      const syn = ctx.controllerSynFrom(probe.port);
      if (syn !== undefined) {
        return {
          verdict: 'return-path-lost',
          summary: `${what}: the controller got the SYN from ${syn.remote} (SYN_RECV on port ${syn.port}), its SYN-ACK never reached the node`,
          evidence: { ...base, controllerHalfOpen: syn },
        };
      }
      return { verdict: 'blocked', summary: `${what}: connect timed out after ${result.ms} ms; the listener saw nothing`, evidence: base };
    }
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
        : { verdict: 'stalled', summary: `${what}: connected, but the listener never saw the request${connectionNote(connection, result.local)}`, evidence: { ...base, stallAt: 0 } };
    case 'stalled':
      // The probe deadline, not the stall timer, ended it: bytes were still flowing, only slowly.
      if (result.error?.code === AGENT_ERROR_CODES.probeDeadline && (result.bytes ?? 0) > 0) {
        const { text, ...rate } = throughput(result.bytes ?? 0, result.ms, ctx.thresholds);
        return {
          verdict: 'slow',
          summary: `${what}: only ${result.bytes} of ${probe.size ?? '?'} bytes in ${result.ms} ms (${rate.throughputMbps} Mbit/s); ${text}`,
          evidence: { ...base, bytes: result.bytes, ...rate },
        };
      }
      return { verdict: 'stalled', summary: `${what}: stalled at byte ${stallOffset(e)} of ${probe.size ?? '?'}`, evidence: { ...base, stallAt: stallOffset(e) } };
    case 'truncated':
      return { verdict: 'truncated', summary: `${what}: connection closed at byte ${result.bytes ?? 0} of ${probe.size ?? '?'}`, evidence: { ...base, bytes: result.bytes } };
    case 'corrupt':
      return { verdict: 'truncated', summary: `${what}: content altered on the way (SHA-256 mismatch)`, evidence: { ...base, corrupt: true } };
    case 'tls-mismatch':
      return { verdict: 'tls-intercepted', summary: `${what}: certificate ${result.fingerprint ?? '?'} is not the pinned one`, evidence: { ...base, fingerprint: result.fingerprint } };
    case 'tls-error':
      return { verdict: 'tls-failed', summary: `${what}: TLS handshake failed (${result.error?.message ?? 'no detail'})${tlsNote(connection, result.local)}`, evidence: base };
    case 'http-error':
      return { verdict: 'rejected', summary: `${what}: HTTP ${result.httpStatus ?? '?'} from something on the path`, evidence: { ...base, httpStatus: result.httpStatus } };
    case 'ftp-error':
      return { verdict: 'rejected', summary: `${what}: ${result.error?.message ?? result.ftp?.reply ?? 'refused by the listener'}`, evidence: { ...base, reply: result.ftp?.reply } };
    case 'error':
      return { verdict: 'not-measured', summary: `${what}: ${result.error?.message ?? 'agent error'}`, evidence: base };
    case 'unsupported':
      return { verdict: 'not-measured', summary: `${what}: not measured: ${result.error?.message ?? 'this agent cannot'}`, evidence: { ...base, unsupported: true } };
  }
}

/** The listener's side of a failed TLS handshake, for its summary. */
function tlsNote(connection: LedgerConnection | null | undefined, local: Endpoint | undefined): string {
  if (connection === null || connection === undefined || connection.tls === undefined) return connectionNote(connection, local);
  const from = endpointLabel(connection.peer);
  switch (connection.tls) {
    case 'failed':
      return `; the listener accepted the connection from ${from} and saw the handshake fail (${connection.tlsError ?? 'no detail'})`;
    case 'completed':
      return `; the listener accepted the connection from ${from} and completed its side of the handshake`;
    case 'pending':
      return `; the listener accepted the connection from ${from}, its handshake still unfinished`;
  }
}

/**
 * Where a stuck transfer stopped, from the side that receives: the agent for a download, the
 * listener's ledger for an upload (the agent only knows what its kernel accepted).
 */
function stallOffset(e: ProbeEvidence): number {
  return e.probe.kind === 'upload' ? sum(e.ledger, 'bytesReceived') : (e.result?.bytes ?? 0);
}

/** A transfer that stopped arriving (not one that was merely slow when its deadline came). */
function isStuck(result: ProbeResult | undefined): boolean {
  if (result === undefined) return false;
  if (result.outcome === 'no-response') return true;
  return result.outcome === 'stalled' && result.error?.code !== AGENT_ERROR_CODES.probeDeadline;
}

const isTransfer = (i: ProbeEvidence): boolean => i.probe.kind === 'download' || i.probe.kind === 'upload';

/** Small answers pass and a larger transfer never finishes: the size decides, not the path. */
function judgeSizeBoundary(items: ProbeEvidence[]): PathJudgement | undefined {
  const transfers = items.filter(isTransfer).sort((a, b) => (a.probe.size ?? 0) - (b.probe.size ?? 0));
  const smallPassed = items.some((i) => (i.probe.kind === 'hello' || isTransfer(i)) && i.result?.outcome === 'ok');
  const stuck = transfers.filter((t) => isStuck(t.result));
  const first = stuck[0];
  if (!smallPassed || first === undefined) return undefined;
  const largestPassing = (kind: 'download' | 'upload'): number | undefined =>
    transfers.filter((t) => t.probe.kind === kind && t.result?.outcome === 'ok').at(-1)?.probe.size;
  const passing = { download: largestPassing('download'), upload: largestPassing('upload') };
  const at = stallOffset(first);
  const counterpart =
    first.probe.kind === 'download' ? `the listener had sent ${sum(first.ledger, 'bytesWritten')}` : `the agent had sent ${first.result?.bytes ?? 0}, the listener received ${at}`;
  const limit = passing[first.probe.kind === 'download' ? 'download' : 'upload'];
  // Every transfer the other way passed: only one direction loses its full-size packets.
  const otherKind = first.probe.kind === 'download' ? 'upload' : 'download';
  const other = transfers.filter((t) => t.probe.kind === otherKind);
  const otherWayClear = other.length > 0 && other.every((t) => t.result?.outcome === 'ok');
  return {
    verdict: 'mtu-blackhole',
    summary:
      `${describe(first.probe)} stalled at byte ${at} (${counterpart}); ` +
      (limit === undefined ? 'only the small hello/status answers pass' : `up to ${sizeLabel(limit)} passes`) +
      (stuck.length > 1 ? `; ${stuck.length} transfers stuck in all` : '') +
      (otherWayClear ? `; every ${otherKind} passed, so only the direction ${otherKind === 'upload' ? 'toward the node' : 'toward the controller'} is affected` : ''),
    evidence: {
      probe: first.probe.id,
      outcome: first.result?.outcome,
      stallAt: at,
      listenerBytesWritten: sum(first.ledger, 'bytesWritten'),
      listenerBytesReceived: sum(first.ledger, 'bytesReceived'),
      largestPassingDownload: passing.download,
      largestPassingUpload: passing.upload,
      stuck: stuck.map((t) => t.probe.id),
    },
  };
}

/** Plan order, except holds last: a path's first failure should be its hello's, not the hold's. */
const KIND_ORDER: Record<PlannedProbe['kind'], number> = { hello: 0, download: 1, upload: 2, status: 3, hold: 4, ftp: 5 };

function judgeCallbackPath(items: ProbeEvidence[], ctx: PathContext): PathJudgement {
  const ordered = [...items].sort((a, b) => KIND_ORDER[a.probe.kind] - KIND_ORDER[b.probe.kind]);
  const boundary = judgeSizeBoundary(ordered);
  if (boundary !== undefined) return boundary;

  const failures = ordered.map((i) => judgeProbe(i, ctx)).filter((j): j is PathJudgement => j !== undefined);
  const downloads = ordered.filter((i) => i.probe.kind === 'download');
  const largestPassing = downloads.filter((d) => d.result?.outcome === 'ok').at(-1)?.probe.size;
  const first = failures.reduce<PathJudgement | undefined>((acc, j) => (acc === undefined || worse(acc.verdict, j.verdict) !== acc.verdict ? j : acc), undefined);
  if (first !== undefined) {
    const onlyUnmeasurable = first.verdict === 'not-measured' && failures.every((f) => f.evidence.unsupported === true);
    const summary =
      largestPassing !== undefined && first.verdict === 'truncated'
        ? `${first.summary}; up to ${sizeLabel(largestPassing)} passes`
        : onlyUnmeasurable
          ? `everything this agent can measure passed; ${first.summary}`
          : first.summary;
    return { verdict: first.verdict, summary, evidence: { ...first.evidence, largestPassing, failures: failures.length } };
  }

  const hello = ordered.find((i) => i.probe.kind === 'hello');
  const seen = hello?.result?.seen;
  const source = hello?.probe.source ?? ctx.facts?.routes.find((r) => r.to === hello?.probe.address)?.source;
  if (seen !== undefined && source !== undefined && seen.address !== source) {
    return {
      verdict: 'source-mismatch',
      summary: `the controller saw ${seen.address}, the node sends from ${source}`,
      evidence: { seen, nodeSource: source },
    };
  }

  const best = downloads
    .filter((d) => d.result?.outcome === 'ok' && (d.probe.size ?? 0) >= ctx.thresholds.minBytesForThroughput)
    .map((d) => ({ size: d.probe.size ?? 0, ms: d.result?.ms ?? 0 }))
    .at(-1);
  const evidence: Record<string, unknown> = { seen, nodeSource: source, largestPassing };
  if (best !== undefined) {
    const { text, ...rate } = throughput(best.size, best.ms, ctx.thresholds);
    Object.assign(evidence, rate);
    if (rate.throughputMbps < ctx.thresholds.minMbps) {
      return {
        verdict: 'slow',
        summary: `${sizeLabel(best.size)} took ${best.ms} ms (${rate.throughputMbps} Mbit/s, below ${ctx.thresholds.minMbps}); ${text}`,
        evidence,
      };
    }
  }
  const status = ordered.find((i) => i.probe.kind === 'status')?.result?.posts;
  if (status !== undefined) evidence.statusMs = status.map((p) => p.ms);
  const hold = ordered.find((i) => i.probe.kind === 'hold')?.result?.hold;
  if (hold !== undefined) evidence.idleHoldMs = hold.idleMs;
  return { verdict: 'ok', summary: `hello, transfers, status${hold === undefined ? '' : ' and idle hold'} all passed`, evidence };
}

// ---------------------------------------------------------------------------------------------
// FTP: one probe, two paths. The control connection (port 21) and the passive data connection (a
// port from the range PASV offered) cross firewalls as separate connections, and a firewall that
// passes one and not the other is the fault this probe exists to find.

interface FtpJudgement {
  control: PathJudgement;
  data: PathJudgement;
  /** The passive port tried, or the range's first when none was offered. */
  dataPort: number;
}

function rangeLabel(probe: PlannedProbe): string {
  const r = probe.dataPorts;
  return r === undefined ? '?' : r.first === r.last ? String(r.first) : `${r.first}-${r.last}`;
}

function judgeFtp(e: ProbeEvidence, ctx: PathContext): FtpJudgement {
  const { probe, result } = e;
  const entry = e.ledger[0];
  const range = rangeLabel(probe);
  const ftp = result?.ftp;
  const dataPort = ftp?.pasvPort ?? probe.dataPorts?.first ?? 0;
  const evidence = {
    ...probeBasics(e),
    controlOk: ftp?.controlOk,
    loginOk: ftp?.loginOk,
    pasvPort: ftp?.pasvPort,
    dataConnected: ftp?.dataConnected,
    reply: ftp?.reply,
    controlPort: probe.port,
    dataPorts: range,
    ledgerSawLogin: entry !== undefined,
    listenerPasvPort: entry?.ftp?.pasvPort,
    listenerDataPeer: entry?.ftp?.dataPeer,
    ledgerBytesWritten: sum(e.ledger, 'bytesWritten'),
  };
  const notMeasured = (why: string): PathJudgement => ({ verdict: 'not-measured', summary: `FTP data (passive ${range}): not measured: ${why}`, evidence });
  if (result === undefined || ftp === undefined) {
    const control = judgeProbe(e, ctx) ?? { verdict: 'not-measured', summary: 'FTP: the agent reported nothing', evidence };
    const why = result?.outcome === 'unsupported' ? (result.error?.message ?? 'this agent cannot') : 'the agent reported no FTP result';
    return { control, data: notMeasured(why), dataPort };
  }
  if (!ftp.controlOk) {
    const control = judgeProbe(e, ctx, `FTP control (port ${probe.port})`) ?? { verdict: 'not-measured', summary: 'FTP control: no banner', evidence };
    return { control: { ...control, evidence: { ...evidence, ...control.evidence } }, data: notMeasured('the control connection failed first'), dataPort };
  }
  if (!ftp.loginOk) {
    return {
      control: { verdict: 'rejected', summary: `FTP control (port ${probe.port}): login refused (${ftp.reply ?? result.error?.message ?? 'no answer'})`, evidence },
      data: notMeasured('the login failed first'),
      dataPort,
    };
  }
  const controlOk: PathJudgement = { verdict: 'ok', summary: `FTP control (port ${probe.port}): banner and login passed`, evidence };
  if (ftp.pasvPort === undefined) {
    return { control: controlOk, data: notMeasured(`no passive port offered (${result.error?.message ?? ftp.reply ?? result.outcome})`), dataPort };
  }
  const where = `FTP data to passive port ${ftp.pasvPort}`;
  if (!ftp.dataConnected) {
    const syn = ctx.controllerSynFrom(ftp.pasvPort);
    const accepted = entry?.ftp?.dataPeer !== undefined;
    const data = ((): PathJudgement => {
      switch (result.outcome) {
        case 'timeout':
          if (accepted) return { verdict: 'return-path-lost', summary: `${where}: the listener accepted it from ${entry?.ftp?.dataPeer?.address}, the agent never saw it complete`, evidence };
          if (syn !== undefined) {
            return {
              verdict: 'return-path-lost',
              summary: `${where}: the controller got the SYN from ${syn.remote} (SYN_RECV), its SYN-ACK never reached the node; control on port ${probe.port} works`,
              evidence: { ...evidence, controllerHalfOpen: syn },
            };
          }
          return {
            verdict: 'blocked',
            summary: `${where}: connect timed out and the listener saw nothing, while control on port ${probe.port} works: a firewall passes ${probe.port} but not the passive range ${range}`,
            evidence,
          };
        case 'refused':
          return { verdict: 'rejected', summary: `${where}: connection refused (control on port ${probe.port} works): a REJECT rule for the passive range ${range}`, evidence };
        case 'unreachable':
          return { verdict: 'no-route', summary: `${where}: ${result.error?.code ?? 'unreachable'}`, evidence };
        default:
          return { verdict: 'not-measured', summary: `${where}: ${result.error?.message ?? result.outcome}`, evidence };
      }
    })();
    return { control: controlOk, data, dataPort };
  }
  if (result.outcome === 'ok') {
    const bytes = probe.size ?? 0;
    const { text, ...rate } = throughput(bytes, result.ms, ctx.thresholds);
    return { control: controlOk, data: { verdict: 'ok', summary: `${where}: ${sizeLabel(bytes)} passed in ${result.ms} ms (${rate.throughputMbps} Mbit/s)`, evidence: { ...evidence, ...rate } }, dataPort };
  }
  // The file was sent whole and checked, and only the 226 on the control connection was missing.
  if (result.phase === 'response') {
    return { control: { verdict: 'stalled', summary: `FTP control (port ${probe.port}): the file arrived whole, the 226 after it never did`, evidence }, data: { verdict: 'ok', summary: `${where}: the file arrived whole`, evidence }, dataPort };
  }
  const data = judgeProbe(e, ctx, where) ?? { verdict: 'not-measured', summary: `${where}: ${result.outcome}`, evidence };
  return { control: controlOk, data: { ...data, evidence: { ...evidence, ...data.evidence } }, dataPort };
}

const FORWARD_VERDICTS: Record<ForwardResult['outcome'], PathKind> = {
  open: 'ok',
  refused: 'rejected',
  timeout: 'blocked',
  unreachable: 'no-route',
  'tls-error': 'tls-failed',
  'no-response': 'stalled',
  error: 'not-measured',
};

const FORWARD_PROTO: Record<ForwardProbe, PathReport['proto']> = { tcp: 'tcp', http: 'http', https: 'https', 'netbios-ns': 'udp' };

/** What an answering service said about itself, in a few words: HTTP status and server, TLS and its certificate, NetBIOS names. */
export function serviceSummary(details: Record<string, unknown> | undefined): string {
  if (details === undefined) return '';
  const parts: string[] = [];
  const http = details.http as { status: number; server: string | null } | undefined;
  if (http !== undefined) parts.push(`HTTP ${http.status}${http.server === null ? '' : ` (${http.server})`}`);
  const tls = details.tls as { protocol: string | null; certificate: { subject: string | null; selfSigned: boolean; expired: boolean; daysLeft: number } | null } | undefined;
  if (tls !== undefined) {
    const cert = tls.certificate;
    const about = cert === null ? 'no certificate' : `certificate ${cert.subject ?? '(no CN)'}${cert.selfSigned ? ', self-signed' : ''}, ${cert.expired ? 'EXPIRED' : `${cert.daysLeft} days left`}`;
    parts.push(`${tls.protocol ?? 'TLS'}, ${about}`);
  }
  const netbios = details.netbios as { names: { name: string }[] } | undefined;
  if (netbios !== undefined) parts.push(`NetBIOS names: ${[...new Set(netbios.names.map((n) => n.name))].join(', ') || 'none'}`);
  return parts.length === 0 ? '' : `; ${parts.join('; ')}`;
}

function judgeForward(f: ForwardEvidence, halfOpen: AgentHalfOpen | undefined): PathJudgement {
  const evidence = { purpose: f.purpose, probe: f.probe, outcome: f.result.outcome, ms: f.result.ms, error: f.result.error, ...f.result.details };
  // A timeout here, while the node's kernel holds the SYN as half-open: it arrived, the answer was lost.
  const synSeen = f.result.outcome === 'timeout' ? halfOpen?.entries.find((e) => e.local.address === f.address && e.local.port === f.port) : undefined;
  if (synSeen !== undefined) {
    return {
      verdict: 'return-path-lost',
      summary: `port ${f.port}: the node got the SYN from ${synSeen.remote.address} (SYN_RECV), its answer never reached the controller`,
      evidence: { ...evidence, nodeHalfOpen: synSeen },
    };
  }
  const where = `port ${f.port}${f.probe === 'netbios-ns' ? '/udp' : ''}`;
  const summary =
    f.result.outcome === 'open'
      ? `${where} open (${f.result.ms} ms)${serviceSummary(f.result.details)}`
      : f.result.outcome === 'timeout'
        ? `${where}: no answer within ${f.result.ms} ms${f.probe === 'netbios-ns' ? ' (UDP: filtered, or no name service)' : ''}`
        : `${where}: ${f.result.outcome === 'tls-error' || f.result.outcome === 'no-response' ? f.result.error?.message : (f.result.error?.code ?? f.result.outcome)}`;
  return { verdict: FORWARD_VERDICTS[f.result.outcome], summary, evidence };
}

function forwardPath(f: ForwardEvidence, halfOpen: AgentHalfOpen | undefined): PathReport {
  return { direction: 'forward', from: 'controller', to: f.address, port: f.port, proto: FORWARD_PROTO[f.probe], ...judgeForward(f, halfOpen) };
}

/** The alternate-port hellos from one source to one controller address, as evidence for its failing paths. */
function alternatesFor(items: ProbeEvidence[]): { proto: string; port: number; outcome: string }[] {
  return items.map((i) => ({ proto: i.probe.proto, port: i.probe.port, outcome: i.result?.outcome ?? 'missing' }));
}

/** Which controller addresses each NIC of a multi-address node can call back to. */
function nicReach(sources: readonly string[], paths: readonly PathReport[], facts: AgentFacts | undefined): NicReach[] {
  return sources.map((address) => {
    const own = paths.filter((p) => p.direction === 'callback' && p.from === address);
    const targets = [...new Set(own.map((p) => p.to))];
    const iface = facts?.addresses.find((a) => a.address === address)?.iface;
    return {
      address,
      ...(iface === undefined ? {} : { iface }),
      reaches: targets.filter((t) => own.filter((p) => p.to === t).every((p) => p.verdict === 'ok')),
      fails: targets.filter((t) => own.some((p) => p.to === t && isFailure(p.verdict))),
    };
  });
}

const sameEndpoint = (a: Endpoint, b: Endpoint): boolean => a.address === b.address && a.port === b.port;

/**
 * The callback listener's record of a probe's connection, joined on all four of its ends: the
 * agent's reported local endpoint as the listener's peer, and the probe's address and port as the
 * listener's own. An endpoint is reused only after its connection ended, so the latest record is
 * the probe's. A hello the listener saw from another endpoint than the agent's (a NAT) makes a
 * missing record say nothing.
 */
function connectionOf(probe: PlannedProbe, result: ProbeResult, view: ConnectionView | undefined, translated: boolean): LedgerConnection | null | undefined {
  const local = result.local;
  if (local === undefined || view === undefined || probe.proto === 'ftp') return undefined;
  const found = view.records.filter((c) => sameEndpoint(c.peer, local) && sameEndpoint(c.listener, probe)).at(-1);
  return found ?? (view.complete && !translated ? null : undefined);
}

export function classifyNode(n: NodeEvidence, thresholds: Thresholds = DEFAULT_THRESHOLDS): NodeReport {
  const hello = n.events.find((e): e is AgentHello => e.t === 'agent');
  const facts = n.events.find((e): e is AgentFacts => e.t === 'facts');
  const results = new Map(n.events.filter((e): e is ProbeResult => e.t === 'probe').map((r) => [r.id, r]));
  const translated = [...results.values()].some((r) => r.seen !== undefined && r.local !== undefined && !sameEndpoint(r.seen, r.local));
  const nodeVerdict = n.session === undefined ? undefined : classifySession(n.session, n.events);
  const evidenceOf = (probe: PlannedProbe): ProbeEvidence => {
    const result = results.get(probe.id);
    const ledger = n.ledger.filter((r) => r.probe === probe.id);
    return result === undefined ? { probe, ledger } : { probe, result, ledger, connection: connectionOf(probe, result, n.connections, translated) };
  };

  const groups = new Map<string, ProbeEvidence[]>();
  const alternates = new Map<string, ProbeEvidence[]>();
  const ftpProbes: ProbeEvidence[] = [];
  for (const probe of n.probes) {
    if (probe.kind === 'ftp') {
      ftpProbes.push(evidenceOf(probe));
      continue;
    }
    const origin = `${probe.source ?? ''}|${probe.address}`;
    const [map, key] = probe.alternate === true ? [alternates, origin] : [groups, `${origin}|${probe.proto}|${probe.port}`];
    map.set(key, [...(map.get(key) ?? []), evidenceOf(probe)]);
  }

  const paths: PathReport[] = [];
  const sourceOf = (probe: PlannedProbe): string | undefined => probe.source ?? facts?.routes.find((r) => r.to === probe.address)?.source;
  const contextFor = (probe: PlannedProbe): PathContext => {
    const source = sourceOf(probe);
    return {
      facts,
      thresholds,
      controllerSynFrom: (port) =>
        n.controllerHalfOpen?.sightings.find((s) => s.port === port && s.local === probe.address && (s.remote === source || (source === undefined && n.addresses.includes(s.remote)))),
    };
  };
  const notRunJudgement = (): PathJudgement => ({
    verdict: 'not-measured',
    summary: n.session === undefined ? 'run interrupted before this node' : `no agent results (${VERDICTS[nodeVerdict!].title})`,
    evidence: {},
  });
  for (const items of groups.values()) {
    const probe = items[0]!.probe;
    const source = sourceOf(probe);
    const notRun = n.session === undefined || (nodeVerdict !== undefined && items.every((i) => i.result === undefined));
    const judgement: PathJudgement = notRun ? notRunJudgement() : judgeCallbackPath(items, contextFor(probe));
    const alt = alternates.get(`${probe.source ?? ''}|${probe.address}`);
    if (alt !== undefined && isFailure(judgement.verdict) && !notRun) judgement.evidence.alternates = alternatesFor(alt);
    paths.push({ direction: 'callback', from: source ?? n.name, to: probe.address, port: probe.port, proto: probe.proto, ...judgement });
  }
  for (const item of ftpProbes) {
    const { probe } = item;
    const notRun = n.session === undefined || (nodeVerdict !== undefined && item.result === undefined);
    const j = notRun ? { control: notRunJudgement(), data: notRunJudgement(), dataPort: probe.dataPorts?.first ?? 0 } : judgeFtp(item, contextFor(probe));
    const from = sourceOf(probe) ?? n.name;
    paths.push({ direction: 'callback', from, to: probe.address, port: probe.port, proto: 'ftp', ...j.control });
    paths.push({ direction: 'callback', from, to: probe.address, port: j.dataPort, proto: 'ftp-data', ...j.data });
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
    ms: n.session?.ms ?? n.ms ?? 0,
  };
  if (n.sshAddress !== undefined) report.sshAddress = n.sshAddress;
  const sources = [...new Set(n.probes.map((p) => p.source).filter((x): x is string => x !== undefined))];
  if (sources.length > 1 && nodeVerdict === undefined) report.nics = nicReach(sources, paths, facts);
  if (nodeVerdict !== undefined && n.session !== undefined) {
    report.nodeVerdict = nodeVerdict;
    report.nodeEvidence = {
      exitCode: n.session.exitCode,
      stderr: n.session.stderr.trim().split('\n').slice(-5).join('\n'),
      timedOut: n.session.timedOut,
      invalidOutput: n.session.invalidOutput,
      fatal: n.events.find((e) => e.t === 'fatal'),
      ...(n.session.runtimeProblem === undefined ? {} : { runtimeProblem: n.session.runtimeProblem }),
      ...(n.session.agent === undefined ? {} : { flavour: n.session.agent.flavour }),
    };
  }
  if (n.agentless === true) report.agentless = true;
  if (hello !== undefined) {
    report.agent = { flavour: hello.flavour, version: hello.version, runtime: hello.runtime, platform: hello.platform };
    if (n.session?.agent !== undefined) report.agent.scriptBytes = n.session.agent.scriptBytes;
  }
  return report;
}
