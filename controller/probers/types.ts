/** Forward probes, from the controller to a node's port: one prober per protocol, same shape. */

export const FORWARD_OUTCOMES = ['open', 'refused', 'timeout', 'unreachable', 'error'] as const;
export type ForwardOutcome = (typeof FORWARD_OUTCOMES)[number];

export interface ForwardTarget {
  address: string;
  port: number;
}

export interface ForwardResult {
  outcome: ForwardOutcome;
  ms: number;
  error?: { code?: string; message: string };
}

export type Prober = (target: ForwardTarget, deadlineMs: number, signal?: AbortSignal) => Promise<ForwardResult>;
