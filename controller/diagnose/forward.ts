/**
 * Forward paths: the controller's probe of a node's port, joined with the node's own view of it: what
 * its kernel held half-open, which sockets it listens on. Pure.
 */
import type { ForwardPathEvidence, ServiceDetails } from '../../src/evidence.js';
import type { ForwardProbe } from '../../src/profiles.js';
import type { AgentHalfOpen, Endpoint, ListeningSockets } from '../../src/protocol.js';
import type { PathReport } from '../../src/report.js';
import type { PathKind } from '../../src/verdicts.js';
import type { ForwardResult } from '../probers/types.js';
import type { ForwardEvidence } from './inputs.js';
import type { PathJudgement } from './probe.js';

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
export function serviceSummary(details: ServiceDetails | undefined): string {
  if (details === undefined) return '';
  const parts: string[] = [];
  const { http, tls, netbios } = details;
  if (http !== undefined) parts.push(`HTTP ${http.status}${http.server === null ? '' : ` (${http.server})`}`);
  if (tls !== undefined) {
    const cert = tls.certificate;
    const about = cert === null ? 'no certificate' : `certificate ${cert.subject ?? '(no CN)'}${cert.selfSigned ? ', self-signed' : ''}, ${cert.expired ? 'EXPIRED' : `${cert.daysLeft} days left`}`;
    parts.push(`${tls.protocol ?? 'TLS'}, ${about}`);
  }
  if (netbios !== undefined) parts.push(`NetBIOS names: ${[...new Set(netbios.names.map((n) => n.name))].join(', ') || 'none'}`);
  return parts.length === 0 ? '' : `; ${parts.join('; ')}`;
}

/** What the forward judgement reads besides the probe: the node's socket table, and the addresses that answered otherwise. */
export interface ForwardContext {
  halfOpen: AgentHalfOpen | undefined;
  /** The node has no agent by design: its own view cannot exist. */
  agentless: boolean;
  /** Node addresses that answered another forward port (open or a reset) or SSH: there is a route to them. */
  answering: ReadonlySet<string>;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** The node's listeners that accept connections on `address`:`port` (that address, or every address). */
function listenersFor(listening: ListeningSockets, address: string, port: number): Endpoint[] {
  return listening.sockets.filter((l) => l.port === port && (WILDCARDS.has(l.address) || l.address.toLowerCase() === address.toLowerCase()));
}

/** Why the node's own view of its listeners is missing, in words for the summary. */
function unmeasuredReason(ctx: ForwardContext): string {
  if (ctx.agentless) return 'the node runs no agent';
  const listening = ctx.halfOpen?.listening;
  if (ctx.halfOpen === undefined) return 'the agent did not report its socket table';
  if (listening === undefined) return 'this agent flavour does not report listening sockets';
  return listening.reason ?? 'the agent could not read its listening sockets';
}

/**
 * A reset from the node's address, joined with the node's listeners: nothing listening means the
 * port is closed (the path works); a listener means something resets the connection in front of it.
 * Without the node's view, a service port is still down for the update manager (whoever resets it),
 * but a path-only port's reset is not guessed to be the benign side.
 */
function judgeRefused(f: ForwardEvidence, ctx: ForwardContext, evidence: ForwardPathEvidence, refusal: string): PathJudgement<ForwardPathEvidence> {
  const where = `port ${f.port} (${f.purpose})`;
  const listening = ctx.halfOpen?.listening;
  if (listening === undefined || !listening.measured) {
    const reason = unmeasuredReason(ctx);
    const unknown = { ...evidence, nodeListening: { measured: false, reason, on: [] } };
    return f.needs === 'service'
      ? { verdict: 'service-down', summary: `${where}: ${refusal}; the update manager needs this service; the node's own view was not measured (${reason}): a reset from the node itself and one from a firewall cannot be told apart`, evidence: unknown }
      : { verdict: 'not-measured', summary: `${where}: ${refusal}; closed or reset by a firewall is not measured (${reason})`, evidence: unknown };
  }
  const on = listenersFor(listening, f.address, f.port);
  const seen = { ...evidence, nodeListening: { measured: true, on } };
  if (on.length > 0) {
    const at = on.map((l) => `${l.address}:${l.port}`).join(', ');
    return { verdict: 'rejected', summary: `${where}: ${refusal} while the node listens on ${at}: a firewall on the node or on the path resets it`, evidence: seen };
  }
  return f.needs === 'service'
    ? { verdict: 'service-down', summary: `${where}: ${refusal} and nothing listens on it on the node: start or enable the service`, evidence: seen }
    : { verdict: 'closed', summary: `${where}: closed (${refusal}, nothing listens on it on the node): the path works; the update manager needs only the path here`, evidence: seen };
}

function judgeForward(f: ForwardEvidence, ctx: ForwardContext): PathJudgement<ForwardPathEvidence> {
  const evidence: ForwardPathEvidence = { kind: 'forward', purpose: f.purpose, needs: f.needs, probe: f.probe, outcome: f.result.outcome, ms: f.result.ms, error: f.result.error, ...f.result.details };
  // A timeout here, while the node's kernel holds the SYN as half-open: it arrived, the answer was lost.
  const synSeen = f.result.outcome === 'timeout' ? ctx.halfOpen?.entries.find((e) => e.local.address === f.address && e.local.port === f.port) : undefined;
  if (synSeen !== undefined) {
    return {
      verdict: 'return-path-lost',
      summary: `port ${f.port}: the node got the SYN from ${synSeen.remote.address} (SYN_RECV), its answer never reached the controller`,
      evidence: { ...evidence, nodeHalfOpen: synSeen },
    };
  }
  const where = `port ${f.port}${f.probe === 'netbios-ns' ? '/udp' : ''}`;
  // A UDP query has no reset to read; only TCP ports are joined with the node's listeners.
  if (f.result.outcome === 'refused' && f.probe !== 'netbios-ns') return judgeRefused(f, ctx, evidence, `refused (${f.result.error?.code ?? 'reset'})`);
  // Linux reports an ICMP administratively-prohibited (or host-unreachable) reject as EHOSTUNREACH: when
  // the same address answers elsewhere, the route exists and a firewall rejects this port.
  if (f.result.outcome === 'unreachable' && ctx.answering.has(f.address)) {
    return {
      verdict: 'rejected',
      summary: `${where}: ${f.result.error?.code ?? 'unreachable'} while ${f.address} answers other ports: a firewall rejects this port with an ICMP error (administratively prohibited), not a missing route`,
      evidence: { ...evidence, icmpReject: true },
    };
  }
  const summary =
    f.result.outcome === 'open'
      ? `${where} open (${f.result.ms} ms)${serviceSummary(f.result.details)}`
      : f.result.outcome === 'timeout'
        ? `${where}: no answer within ${f.result.ms} ms${f.probe === 'netbios-ns' ? ' (UDP: filtered, or no name service)' : ''}`
        : `${where}: ${f.result.outcome === 'tls-error' || f.result.outcome === 'no-response' ? f.result.error?.message : (f.result.error?.code ?? f.result.outcome)}`;
  return { verdict: FORWARD_VERDICTS[f.result.outcome], summary, evidence };
}

/** Whether a probe reached the node's address: it answered, even with a reset. */
export function forwardAnswered(f: ForwardEvidence): boolean {
  return f.result.outcome !== 'timeout' && f.result.outcome !== 'unreachable' && f.result.outcome !== 'error';
}

export function forwardPath(f: ForwardEvidence, ctx: ForwardContext): PathReport {
  return { direction: 'forward', from: 'controller', to: f.address, port: f.port, proto: FORWARD_PROTO[f.probe], ...judgeForward(f, ctx) };
}
