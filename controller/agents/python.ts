/**
 * The Python agent (agent/python/twoway_agent.py) as a flavour:
 * `TWOWAY_PLAN = "<plan JSON>"` in front of the script (and its protocol constants), read by
 * `python3 -` from stdin.
 */
import type { Plan } from '../../src/protocol.js';
import { agentText } from './agent-text.js';
import type { AgentFlavourModule } from './types.js';

/** The agent as sent before its plan: its protocol constants, then the script without comment lines. */
export const pythonAgentSource = agentText('python/twoway_agent.py', 'python').text;

/**
 * A JSON string is also a valid Python 3 string literal: JSON.stringify escapes only quote,
 * backslash and control characters, with escapes Python reads the same way.
 */
export function pythonScript(plan: Plan): string {
  return `TWOWAY_PLAN = ${JSON.stringify(JSON.stringify(plan))}\n${pythonAgentSource()}`;
}

export const pythonAgent: AgentFlavourModule = {
  flavour: 'python',
  script: pythonScript,
  remoteCommand: 'python3 -',
  cannotMeasure: ['FTP callbacks', 'https probes, on a Python built without its ssl module', 'secondary IPv4 addresses in facts, on a node without `ip`'],
};
