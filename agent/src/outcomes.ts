/**
 * How a probe's ending maps to an outcome. The same event means different things in different
 * phases: a reset while connecting is a REJECT rule, during the body it is a cut transfer; a deadline
 * while connecting is a drop, while waiting for the answer it is a lost return path.
 */
import { EVENT_LIMITS } from '../../src/protocol.js';
import type { ProbeOutcome, ProbePhase } from '../../src/protocol.js';
import { clip } from './output.js';

const UNREACHABLE = ['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN', 'ENETDOWN'];

export interface ProbeError {
  code?: string;
  message: string;
}

/** A deadline (ours: connect, stall, probe or agent) passed while the probe was in `phase`. */
export function deadlineOutcome(phase: ProbePhase): ProbeOutcome {
  switch (phase) {
    case 'connect':
    case 'data-connect':
      return 'timeout';
    case 'tls':
      return 'tls-error';
    case 'request':
    case 'response':
    case 'hold':
      return 'no-response';
    case 'body':
      return 'stalled';
  }
}

/** A socket, TLS or HTTP error arrived while the probe was in `phase`. */
export function errorOutcome(phase: ProbePhase, code: string | undefined): ProbeOutcome {
  switch (phase) {
    case 'connect':
    case 'data-connect':
      if (code === 'ECONNREFUSED') return 'refused';
      if (code === 'ECONNRESET') return 'reset';
      if (code === 'ETIMEDOUT') return 'timeout';
      if (code !== undefined && UNREACHABLE.indexOf(code) !== -1) return 'unreachable';
      return 'error';
    case 'tls':
      // Whatever broke the handshake (reset, garbage, alert), TCP worked and TLS did not.
      return 'tls-error';
    case 'request':
    case 'response':
    case 'hold':
      // Node reports a peer that closes before answering as ECONNRESET "socket hang up"; the
      // message tells it from a real RST. On an idle hold a reset is a firewall or NAT that dropped
      // the connection's state and answers its next packet with RST.
      if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
      if (code === 'ETIMEDOUT') return 'no-response';
      if (code !== undefined && UNREACHABLE.indexOf(code) !== -1) return 'unreachable';
      return 'error';
    case 'body':
      return 'truncated';
  }
}

export function describeError(err: unknown): ProbeError {
  const code = (err as { code?: unknown } | null)?.code;
  const message = clip(err instanceof Error ? err.message : String(err), EVENT_LIMITS.errorMessage);
  return typeof code === 'string' && code.length <= 64 ? { code, message } : { message };
}

export function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
