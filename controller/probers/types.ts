/** Forward probes, from the controller to a node's port: one prober per protocol, same shape. */
import type { ServiceDetails } from '../../src/evidence.js';

/**
 * open: the service answered (TCP connect, an HTTP response, a NetBIOS name answer); tls-error: TCP
 * connected but the TLS handshake failed; no-response: connected, no answer before the deadline.
 */
export const FORWARD_OUTCOMES = ['open', 'refused', 'timeout', 'unreachable', 'tls-error', 'no-response', 'error'] as const;
export type ForwardOutcome = (typeof FORWARD_OUTCOMES)[number];

export interface ForwardTarget {
  address: string;
  port: number;
}

export interface ForwardResult {
  outcome: ForwardOutcome;
  ms: number;
  error?: { code?: string; message: string };
  /** What the service told about itself: HTTP status and server, TLS version and certificate, NetBIOS names. */
  details?: ServiceDetails;
}

export type Prober = (target: ForwardTarget, deadlineMs: number, signal?: AbortSignal) => Promise<ForwardResult>;
