/**
 * The baseline's HTTP server in the controller namespace (BASELINE_SERVER in commands.ts): started
 * for a baseline run, its CPU read, then ended by its PID. `ip netns exec` execs node, so the child's
 * PID is the server's own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { CTL_ADDRESS, CTL_NETNS } from '../lab/plan.js';
import { labEnv } from '../lab/run.js';
import { BASELINE_BYTES, BASELINE_PORT, BASELINE_SERVER } from './commands.js';
import { processTimes } from './proc-times.js';

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;

export interface BaselineServer {
  /** Its CPU seconds so far. */
  cpuS(): number;
  stop(): Promise<void>;
}

function closed(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startBaselineServer(): Promise<BaselineServer> {
  const child = spawn('ip', ['netns', 'exec', CTL_NETNS, process.execPath, '-e', BASELINE_SERVER, CTL_ADDRESS, String(BASELINE_PORT), String(BASELINE_BYTES)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: labEnv(),
  });
  const stop = async (): Promise<void> => {
    if (child.pid === undefined) return;
    child.kill('SIGTERM');
    if (!(await closed(child, STOP_GRACE_MS))) {
      child.kill('SIGKILL');
      await closed(child, STOP_GRACE_MS);
    }
  };
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      if (String(d).includes('ready')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) {
    await stop();
    throw new Error(`the baseline's HTTP server did not start on ${CTL_ADDRESS}:${BASELINE_PORT} in ${CTL_NETNS}: ${stderr.trim() || 'no output'}`);
  }
  return { cpuS: () => (child.pid === undefined ? 0 : (processTimes(child.pid)?.ownS ?? 0)), stop };
}
