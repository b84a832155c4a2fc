/**
 * Running an agent flavour as the controller runs it: its interpreter reading `script(plan)` from
 * stdin (`node -`, `python3 -`), every stdout line parsed as the controller parses it (a bad line
 * fails the test). The loopback tests run once per flavour in TEST_FLAVOURS.
 *
 * TWOWAY_AGENT_NODE=/path/to/node runs the agent under another Node (the oldest supported one:
 * test/agent/src/oldest-node.test.ts), and TWOWAY_AGENT_PYTHON=/path/to/python3 the Python agent under another
 * Python (e.g. 3.6). With TWOWAY_AGENT_NODE_VERSION set, every Node agent run must say it ran there.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { flavourModule } from '../../controller/agents/index.js';
import { parseAgentEvent, PROTOCOL_VERSION } from '../../src/protocol.js';
import type { AgentEvent, Plan, ProbeResult, ProbeRetry } from '../../src/protocol.js';

/** The flavours whose interpreter every test machine has (the sh flavours have their own tests). */
export const TEST_FLAVOURS = ['node', 'python'] as const;
export type TestFlavour = (typeof TEST_FLAVOURS)[number];

const INTERPRETERS: Record<TestFlavour, string> = {
  node: process.env.TWOWAY_AGENT_NODE ?? process.execPath,
  python: process.env.TWOWAY_AGENT_PYTHON ?? 'python3',
};

/** A plan for an agent that meets raw loopback servers (no listener: a fixed token and fingerprint). */
export function loopbackPlan(fields: Pick<Plan, 'controllerAddresses' | 'probes' | 'deadlines' | 'concurrency'>): Plan {
  return { version: PROTOCOL_VERSION, runId: 't', node: 'node-a', token: 't', fingerprint256: 'AA', ...fields };
}

/** What the controller streams for `plan` in this flavour. */
export function scriptFor(flavour: TestFlavour, plan: Plan): string {
  const module = flavourModule(flavour);
  assert.ok(module, `flavour ${flavour} is registered`);
  return module.script(plan);
}

/** Runs `plan` in this flavour. */
export function runFlavour(flavour: TestFlavour, plan: Plan): Promise<AgentRun> {
  return runAgent(scriptFor(flavour, plan), flavour);
}
/** Kills an agent that outlives this: the agent must never hang, so this is a failure. */
const AGENT_KILL_MS = 15_000;

export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: AgentEvent[];
  stderr: string;
  ms: number;
}

/** Spawns the flavour's interpreter with `-`, feeds it the script, and parses every stdout line. */
export function runAgent(script: string, flavour: TestFlavour = 'node'): Promise<AgentRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(INTERPRETERS[flavour], ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const killer = setTimeout(() => child.kill('SIGKILL'), AGENT_KILL_MS);
    child.on('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      try {
        const lines = stdout.split('\n').filter((line) => line !== '');
        const events = lines.map((line) => {
          try {
            return parseAgentEvent(line);
          } catch (err) {
            throw new Error(`agent line failed validation: ${line}\n${String(err)}`);
          }
        });
        resolve({ code, signal, events, stderr, ms: Date.now() - started });
      } catch (err) {
        reject(err);
      }
    });
    child.stdin.end(script);
  });
}

/** Checks the line order every run must have, and returns the probe results by id. */
export function checkShape(run: AgentRun, plan: Plan): Map<string, ProbeResult> {
  assert.equal(run.code, 0, `agent exit code (signal: ${run.signal}, stderr: ${run.stderr}, stdout: ${JSON.stringify(run.events)})`);
  const [first, second, ...rest] = run.events;
  const last = rest.pop();
  const halfOpen = rest.pop();
  assert.equal(first?.t, 'agent');
  const expectedNode = process.env.TWOWAY_AGENT_NODE_VERSION;
  if (expectedNode !== undefined && first.flavour === 'node') assert.equal(first.runtime, expectedNode, 'the agent ran under the Node asked for');
  assert.equal(second?.t, 'facts');
  assert.equal(halfOpen?.t, 'halfopen', 'half-open sample just before done');
  assert.equal(last?.t, 'done');
  const results = new Map<string, ProbeResult>();
  const retried = new Set<string>();
  for (const event of rest) {
    assert.ok(event.t === 'probe' || event.t === 'retry' || event.t === 'pathmtu', `only probe, retry and pathmtu lines between facts and done, not ${event.t}`);
    if (event.t === 'retry') {
      const first = results.get(event.id);
      assert.ok(first !== undefined && ['stalled', 'no-response'].includes(first.outcome), `a retry of ${event.id} follows its stalled result`);
      assert.ok(!retried.has(event.id), `${event.id} retried once`);
      retried.add(event.id);
    }
    if (event.t !== 'probe') continue;
    assert.ok(!results.has(event.id), `probe ${event.id} reported once`);
    results.set(event.id, event);
  }
  assert.deepEqual([...results.keys()].sort(), plan.probes.map((p) => p.id).sort(), 'one result per planned probe');
  return results;
}

/** The agent's retry lines (a stalled transfer's second attempt), by probe id. */
export function retriesOf(run: AgentRun): Map<string, ProbeRetry> {
  return new Map(run.events.filter((e): e is ProbeRetry => e.t === 'retry').map((e) => [e.id, e]));
}

export function resultOf(results: Map<string, ProbeResult>, id: string): ProbeResult {
  const result = results.get(id);
  assert.ok(result, `result for ${id}`);
  return result;
}
