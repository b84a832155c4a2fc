/**
 * Agent flavours: the Node reference agent and the portable ones (Python, POSIX sh, PowerShell) all
 * take the same Plan and answer with the same JSON Lines (src/protocol.ts). Each flavour module says
 * how its script is built from the plan and what the node's shell runs to read it from stdin.
 */
import type { Plan } from '../../src/protocol.js';

export const AGENT_FLAVOURS = ['node', 'python', 'sh-curl', 'sh-wget', 'sh-tcp', 'powershell'] as const;
export type AgentFlavour = (typeof AGENT_FLAVOURS)[number];

export interface AgentFlavourModule {
  flavour: AgentFlavour;
  /** The whole text streamed on stdin (the plan embedded in whatever form the flavour reads). */
  script(plan: Plan): string;
  /** The command the node's login shell runs to read the script from stdin; nothing is written to disk. */
  remoteCommand: string;
}
