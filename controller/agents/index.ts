/**
 * The agent flavours this build can send, and the order they are preferred in when a node offers
 * several runtimes. A flavour module joins with one import and one entry in FLAVOUR_MODULES.
 */
import type { AgentFlavour, AgentFlavourModule } from './types.js';
import { nodeAgent } from './node.js';
import { pythonAgent } from './python.js';
import { shCurlAgent, shTcpAgent, shWgetAgent } from './sh.js';
import { powershellAgent } from './powershell.js';

const FLAVOUR_MODULES: readonly AgentFlavourModule[] = [nodeAgent, pythonAgent, shCurlAgent, shWgetAgent, shTcpAgent, powershellAgent];

/**
 * Best first: Node is the reference; Python measures everything Node does; the sh flavours lean
 * on curl or wget, and sh-tcp on nc for connect checks only. PowerShell is not in the list: it is only used
 * when forced, or for the windows profile (the detection snippet is POSIX sh).
 */
export const FLAVOUR_PREFERENCE: readonly AgentFlavour[] = ['node', 'python', 'sh-curl', 'sh-wget', 'sh-tcp'];

export function flavourModule(flavour: AgentFlavour): AgentFlavourModule | undefined {
  return FLAVOUR_MODULES.find((m) => m.flavour === flavour);
}

/** Registered flavours, in preference order (PowerShell last). */
export function registeredFlavours(): AgentFlavour[] {
  const order = [...FLAVOUR_PREFERENCE, 'powershell' as const];
  return order.filter((f) => flavourModule(f) !== undefined);
}
