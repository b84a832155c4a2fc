/**
 * Running the reference agent as the controller runs it: `node -` with agentScript(plan) on stdin,
 * every stdout line parsed as the controller parses it (a bad line fails the test).
 *
 * TWOWAY_AGENT_NODE=/path/to/node runs the agent under another Node (e.g. 12) by hand.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { parseAgentEvent } from '../src/protocol.js';
import type { AgentEvent, Plan, ProbeResult } from '../src/protocol.js';

const AGENT_RUNTIME = process.env.TWOWAY_AGENT_NODE ?? process.execPath;
/** Kills an agent that outlives this: the agent must never hang, so this is a failure. */
const AGENT_KILL_MS = 15_000;

export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: AgentEvent[];
  stderr: string;
  ms: number;
}

/** Spawns `node -`, feeds it the script, and parses every stdout line (a bad line fails the test). */
export function runAgent(script: string): Promise<AgentRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(AGENT_RUNTIME, ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
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
  assert.equal(second?.t, 'facts');
  assert.equal(halfOpen?.t, 'halfopen', 'half-open sample just before done');
  assert.equal(last?.t, 'done');
  const results = new Map<string, ProbeResult>();
  for (const event of rest) {
    assert.equal(event.t, 'probe', 'only probe lines between facts and done');
    if (event.t !== 'probe') continue;
    assert.ok(!results.has(event.id), `probe ${event.id} reported once`);
    results.set(event.id, event);
  }
  assert.deepEqual([...results.keys()].sort(), plan.probes.map((p) => p.id).sort(), 'one result per planned probe');
  return results;
}

export function resultOf(results: Map<string, ProbeResult>, id: string): ProbeResult {
  const result = results.get(id);
  assert.ok(result, `result for ${id}`);
  return result;
}
