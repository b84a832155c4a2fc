/**
 * The agent flavours and the order they are preferred in when a node offers several runtimes. The
 * record's type makes the compiler insist on a module for every flavour.
 */
import type { AgentFlavour, AgentFlavourModule } from './types.js';
import { nodeAgent } from './node.js';
import { pythonAgent } from './python.js';
import { shCurlAgent, shTcpAgent, shWgetAgent } from './sh.js';
import { powershellAgent } from './powershell.js';

const FLAVOUR_MODULES: Readonly<Record<AgentFlavour, AgentFlavourModule>> = {
  node: nodeAgent,
  python: pythonAgent,
  'sh-curl': shCurlAgent,
  'sh-wget': shWgetAgent,
  'sh-tcp': shTcpAgent,
  powershell: powershellAgent,
};

/**
 * Best first: Node is the reference; Python measures everything Node does; the sh flavours lean
 * on curl or wget, and sh-tcp on nc for connect checks only. PowerShell is not in the list: it is only used
 * when forced, or for the windows profile (the detection snippet is POSIX sh).
 */
export const FLAVOUR_PREFERENCE: readonly AgentFlavour[] = ['node', 'python', 'sh-curl', 'sh-wget', 'sh-tcp'];

export function flavourModule(flavour: AgentFlavour): AgentFlavourModule {
  return FLAVOUR_MODULES[flavour];
}

/** Every flavour, in preference order (PowerShell last). */
export function registeredFlavours(): AgentFlavour[] {
  return [...FLAVOUR_PREFERENCE, 'powershell'];
}
