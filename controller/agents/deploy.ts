/**
 * What is streamed to a node: the agent bundle with its plan in front, read by `node -` from stdin,
 * so nothing is written on the node.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plan } from '../../src/protocol.js';
import { SetupError } from '../../src/errors.js';

/** dist/controller/agents/deploy.js -> dist/agent/agent.cjs (written by scripts/build-agent.mjs). */
export const AGENT_BUNDLE_PATH = fileURLToPath(new URL('../../agent/agent.cjs', import.meta.url));

let cachedBundle: string | undefined;

export function agentBundle(): string {
  if (cachedBundle === undefined) {
    try {
      cachedBundle = readFileSync(AGENT_BUNDLE_PATH, 'utf8');
    } catch (err) {
      throw new SetupError(`agent bundle ${AGENT_BUNDLE_PATH} is missing; run "npm run build"`, { cause: err });
    }
  }
  return cachedBundle;
}

/** The whole script for `node -`: the plan as a global, then the bundle, which reads it at start. */
export function agentScript(plan: Plan): string {
  return `globalThis.TWOWAY_PLAN = ${JSON.stringify(plan)};\n${agentBundle()}`;
}
