/**
 * Agent flavours: the Node reference agent and the portable ones (Python, POSIX sh, PowerShell) all
 * take the same Plan and answer with the same JSON Lines (src/protocol.ts). Each flavour module says
 * how its script is built from the plan and what the node's shell runs to read it from stdin.
 */
import type { Plan } from '../../src/protocol.js';
import type { AgentFlavour } from '../../src/agent-flavours.js';

export { AGENT_FLAVOURS, type AgentFlavour } from '../../src/agent-flavours.js';

export interface AgentFlavourModule {
  flavour: AgentFlavour;
  /** The whole text streamed on stdin (the plan embedded in whatever form the flavour reads). */
  script(plan: Plan): string;
  /** The command the node's login shell runs to read the script from stdin; nothing is written to disk. */
  remoteCommand: string;
  /** What this flavour reports as 'unsupported' (not measured), for `twoway agents`; absent: nothing. */
  cannotMeasure?: readonly string[];
}
