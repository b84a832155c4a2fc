/**
 * The Python agent (agent/python/twoway_agent.py, copied to dist/agent/ by the build) as a flavour:
 * `TWOWAY_PLAN = "<plan JSON>"` in front of the script, read by `python3 -` from stdin.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../../src/protocol.js';
import { SetupError } from '../../src/errors.js';
import type { AgentFlavourModule } from './types.js';

/** dist/controller/agents/python.js -> dist/agent/twoway_agent.py (written by scripts/build-agent.mjs). */
export const PYTHON_AGENT_PATH = fileURLToPath(new URL('../../agent/twoway_agent.py', import.meta.url));

/**
 * Full-line comments and blank lines cost bytes on every node and do nothing there. The script
 * keeps no '#' line and no blank line that matters inside a string, so dropping them is safe.
 */
export function stripPython(source: string): string {
  return source
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .join('\n')
    .concat('\n');
}

let cached: string | undefined;

export function pythonAgentSource(): string {
  if (cached === undefined) {
    try {
      cached = stripPython(readFileSync(PYTHON_AGENT_PATH, 'utf8'));
    } catch (err) {
      throw new SetupError(`Python agent ${PYTHON_AGENT_PATH} is missing; run "npm run build"`, { cause: err });
    }
  }
  return cached;
}

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
