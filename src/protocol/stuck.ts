/** Shared by the agent (which retries a stuck transfer once) and the diagnosis (which judges the stall). */
import { AGENT_ERROR_CODES } from './constants.js';
import type { ProbeResult } from './types.js';

/** A transfer that stopped arriving (not one that was merely slow when its deadline came). */
export function isStuck(result: Pick<ProbeResult, 'outcome' | 'error'> | undefined): boolean {
  if (result === undefined) return false;
  if (result.outcome === 'no-response') return true;
  return result.outcome === 'stalled' && result.error?.code !== AGENT_ERROR_CODES.probeDeadline;
}
