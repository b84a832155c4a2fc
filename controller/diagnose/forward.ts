/**
 * Forward paths: the controller's probe of a node's port, and what the node's kernel held half-open
 * of it. Pure.
 */
import type { ForwardPathEvidence, ServiceDetails } from '../../src/evidence.js';
import type { ForwardProbe } from '../../src/profiles.js';
import type { AgentHalfOpen } from '../../src/protocol.js';
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

function judgeForward(f: ForwardEvidence, halfOpen: AgentHalfOpen | undefined): PathJudgement<ForwardPathEvidence> {
  const evidence: ForwardPathEvidence = { kind: 'forward', purpose: f.purpose, probe: f.probe, outcome: f.result.outcome, ms: f.result.ms, error: f.result.error, ...f.result.details };
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

export function forwardPath(f: ForwardEvidence, halfOpen: AgentHalfOpen | undefined): PathReport {
  return { direction: 'forward', from: 'controller', to: f.address, port: f.port, proto: FORWARD_PROTO[f.probe], ...judgeForward(f, halfOpen) };
}
