/**
 * One callback probe's judgement: its outcome as the agent reported it, read against the listener's
 * ledger, its record of the connection, and the controller's SYN_RECV samples. Pure.
 */
import type { ControllerSynSighting, IdleCutEvidence, ListenerConnectionEvidence, PathMtuMeasurement, ProbeBasics, ProbeEvidence, ProbeFailureFields } from '../../src/evidence.js';
import { AGENT_ERROR_CODES, type AgentFacts, type PlannedProbe, type ProbeResult, type ProbeRetry } from '../../src/protocol.js';
import type { PathKind } from '../../src/verdicts.js';
import type { HalfOpenSighting } from '../host/halfopen-sampler.js';
import type { LedgerConnection, LedgerRequest } from '../wire/ledger.js';
import type { Thresholds } from './inputs.js';
import type { QualityContext } from './quality.js';
import { connectionNote, describe, endpointLabel, throughput, tlsNote } from './wording.js';

/** A planned probe with everything seen of it. */
export interface ObservedProbe {
  probe: PlannedProbe;
  result?: ProbeResult;
  ledger: LedgerRequest[];
  /**
   * The listener's record of the connection the agent reported using; null when the listener has
   * none from that endpoint, undefined when that cannot be told (no endpoint reported, or records
   * dropped). Through a NAT the listener sees another endpoint, so null never decides a verdict.
   */
  connection?: LedgerConnection | null;
  /** Where its result came in the agent's output: results are written as probes finish. */
  finished?: number;
  /** A stalled transfer's second attempt, made after the probes still waiting (agent `retry` line). */
  retry?: ProbeRetry;
}

/** A path's verdict, its one-sentence summary, and what it rests on. */
export interface PathJudgement<E> {
  verdict: PathKind;
  summary: string;
  evidence: E;
}

/** What a callback path's judgement may consult besides its own probes. */
export interface PathContext {
  facts: AgentFacts | undefined;
  thresholds: Thresholds;
  /** The controller's SYN_RECV sighting of this path's source on a listener port. */
  controllerSynFrom(port: number): HalfOpenSighting | undefined;
  /** The path MTU toward the node as measured on this run (controller/host/path-mtu.ts), when transfers stalled. */
  pathMtu?: readonly PathMtuMeasurement[];
  /** The controller's TCP_INFO and the node's TCP counters for the path's quality (quality.ts); absent: none. */
  quality?: Omit<QualityContext, 'thresholds'>;
}

export const sum = (ledger: readonly LedgerRequest[], field: 'bytesWritten' | 'bytesReceived'): number => ledger.reduce((n, r) => n + (r[field] ?? 0), 0);

/** A hold that worked when opened and then stopped carrying traffic: which direction died, from both sides. */
export function judgeHold(e: ObservedProbe): PathJudgement<IdleCutEvidence> | undefined {
  const { probe, result } = e;
  if (probe.kind !== 'hold' || result === undefined || result.outcome === 'ok' || result.phase !== 'hold' || result.hold === undefined) return undefined;
  const { idleMs, push, pong } = result.hold;
  const listenerGotPing = e.ledger.some((r) => r.holdPingReceived === true);
  const lost = [push ? undefined : 'the controller\'s push never reached the node', pong ? undefined : listenerGotPing ? 'the answer to the node\'s ping was lost' : 'the node\'s ping never reached the controller'].filter(
    (x): x is string => x !== undefined,
  );
  const how = result.outcome === 'reset' ? 'the connection was reset' : result.outcome === 'truncated' ? 'the connection was closed' : lost.join('; ');
  return {
    verdict: 'idle-cut',
    summary: `idle hold: after ${(idleMs / 1000).toFixed(1)} s quiet, ${how}`,
    evidence: { kind: 'idle-cut', probe: e.probe.id, outcome: result.outcome, idleMs, push, pong, listenerGotPing, listenerPushSent: e.ledger.some((r) => r.holdPushSent === true) },
  };
}

/** What every probe's evidence starts with: which probe, and how the agent said it ended. */
export function probeBasics({ probe, result }: ObservedProbe): ProbeBasics {
  return { probe: probe.id, outcome: result?.outcome ?? 'missing', phase: result?.phase, ms: result?.ms, error: result?.error };
}

/** What the listener saw of the probe's connection: accepted or not, when, from where, and how TLS ended. */
function connectionEvidence({ connection, result }: ObservedProbe): { listenerConnection?: ListenerConnectionEvidence } {
  if (connection === undefined) return {};
  if (connection === null) return { listenerConnection: { accepted: false, agentLocal: result?.local } };
  const { at, peer, tls, tlsError } = connection;
  return { listenerConnection: { accepted: true, at, from: peer, ...(tls === undefined ? {} : { tls }), ...(tlsError === undefined ? {} : { tlsError }) } };
}

/** status: the post the outcome is about (the first that failed), numbered like the request's seq. */
function failedPost({ probe, result }: ObservedProbe): number | undefined {
  if (probe.kind !== 'status') return undefined;
  const index = result?.posts?.findIndex((p) => !p.ok) ?? -1;
  return index === -1 ? undefined : index + 1;
}

/**
 * Where a stuck transfer stopped, from the side that receives: the agent for a download, the
 * listener's ledger for an upload (the agent only knows what its kernel accepted).
 */
export function stallOffset(e: ObservedProbe): number {
  return e.probe.kind === 'upload' ? sum(e.ledger, 'bytesReceived') : (e.result?.bytes ?? 0);
}

/**
 * What a single failed probe says from its outcome, or undefined when it passed; `what` starts each
 * summary. A hold cut after its quiet time is judgeHold's.
 */
export function judgeProbe(e: ObservedProbe, ctx: PathContext, what?: string): PathJudgement<ProbeEvidence> | undefined {
  const { probe, result, connection } = e;
  // A status probe's posts are requests of their own: the failing one is judged by its entry alone.
  const post = failedPost(e);
  const ledger = post === undefined ? e.ledger : e.ledger.filter((r) => r.seq === post);
  what ??= post === undefined ? describe(probe) : `status post ${post} of ${probe.posts ?? result?.posts?.length ?? '?'}`;
  const seen = ledger.length > 0;
  const accepted = connection !== null && connection !== undefined ? connection : undefined;
  const base: ProbeEvidence = {
    kind: 'probe',
    ...probeBasics(e),
    ...(post === undefined ? {} : { statusPost: post }),
    ledgerSawRequest: seen,
    ledgerBytesWritten: sum(ledger, 'bytesWritten'),
    ledgerCompleted: ledger.some((r) => r.completed),
    ...connectionEvidence(e),
  };
  const judged = (verdict: PathKind, summary: string, more: Partial<ProbeFailureFields> = {}): PathJudgement<ProbeEvidence> => ({ verdict, summary, evidence: { ...base, ...more } });
  if (result === undefined) return judged('not-measured', `${what}: the agent reported nothing`);
  switch (result.outcome) {
    case 'ok':
      return undefined;
    case 'timeout': {
      if (seen) return judged('return-path-lost', `${what}: the listener saw the request, the agent never got the answer`);
      // The listener accepts only after the node's final ACK, which the node sends only once it has
      // the SYN-ACK: the handshake did complete, but only as the agent's deadline passed (SYNs or
      // SYN-ACKs retransmitted on a lossy path, or a very slow one). Not a lost way back.
      if (accepted !== undefined) {
        return judged(
          'slow',
          `${what}: the listener accepted the connection from ${endpointLabel(accepted.peer)} only as the agent's ${result.ms} ms connect deadline passed: handshake packets were lost and retransmitted, or the path is very slow`,
        );
      }
      const syn: ControllerSynSighting | undefined = ctx.controllerSynFrom(probe.port);
      if (syn !== undefined) {
        return judged('return-path-lost', `${what}: the controller got the SYN from ${syn.remote} (SYN_RECV on port ${syn.port}), its SYN-ACK never reached the node`, { controllerHalfOpen: syn });
      }
      return judged('blocked', `${what}: connect timed out after ${result.ms} ms; the listener saw nothing`);
    }
    case 'refused':
      return judged('rejected', `${what}: connection refused`);
    case 'reset':
      return result.phase === 'connect' || !seen ? judged('rejected', `${what}: connection reset`) : judged('truncated', `${what}: connection reset after the request was seen`);
    case 'unreachable':
      return judged('no-route', `${what}: ${result.error?.code ?? 'unreachable'}`);
    case 'no-response':
      return seen
        ? judged('return-path-lost', `${what}: the listener answered (${ledger.some((r) => r.completed) ? 'response complete' : 'response started'}), the agent never got it`)
        : judged('stalled', `${what}: connected, but the listener never saw the request${connectionNote(connection, result.local)}`, { stallAt: 0 });
    case 'stalled':
      // The probe deadline, not the stall timer, ended it: bytes were still flowing, only slowly.
      if (result.error?.code === AGENT_ERROR_CODES.probeDeadline && (result.bytes ?? 0) > 0) {
        const { rate, text } = throughput(result.bytes ?? 0, result.ms, ctx.thresholds);
        return judged('slow', `${what}: only ${result.bytes} of ${probe.size ?? '?'} bytes in ${result.ms} ms (${rate.throughputMbps} Mbit/s); ${text}`, { bytes: result.bytes, ...rate });
      }
      return judged('stalled', `${what}: stalled at byte ${stallOffset(e)} of ${probe.size ?? '?'}`, { stallAt: stallOffset(e) });
    case 'truncated':
      return judged('truncated', `${what}: connection closed at byte ${result.bytes ?? 0} of ${probe.size ?? '?'}`, { bytes: result.bytes });
    case 'corrupt':
      return judged('truncated', `${what}: content altered on the way (SHA-256 mismatch)`, { corrupt: true });
    case 'tls-mismatch':
      return judged('tls-intercepted', `${what}: certificate ${result.fingerprint ?? '?'} is not the pinned one`, { fingerprint: result.fingerprint });
    case 'tls-error':
      return judged('tls-failed', `${what}: TLS handshake failed (${result.error?.message ?? 'no detail'})${tlsNote(connection, result.local)}`);
    case 'http-error':
      return judged('rejected', `${what}: HTTP ${result.httpStatus ?? '?'} from something on the path`, { httpStatus: result.httpStatus });
    case 'ftp-error':
      return judged('rejected', `${what}: ${result.error?.message ?? result.ftp?.reply ?? 'refused by the listener'}`, { reply: result.ftp?.reply });
    case 'error':
      return judged('not-measured', `${what}: ${result.error?.message ?? 'agent error'}`);
    case 'unsupported':
      return judged('not-measured', `${what}: not measured: ${result.error?.message ?? 'this agent cannot'}`, { unsupported: true });
  }
}

