/**
 * `npm run soak`: the false-alarm soak. Builds a lab of N healthy fleet nodes only (each a real
 * server model: sshd on 22, nothing else), runs `twoway run` on them R times in a row with its
 * defaults, and counts every verdict that is not `ok` (controller/bench/soak-tally.ts). Exit 0 when
 * the soak is clean, 1 when any false alarm, failed run or missing node was seen, 2 on usage. The lab
 * is torn down at the end, also after an error, unless --keep-lab.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TwowayError } from '../../src/errors.js';
import type { Report } from '../../src/report.js';
import { FLEET_MAX_NODES, fleetScenarios } from '../lab/fleet.js';
import { labDown, labUp } from '../lab/index.js';
import { labEnv } from '../lab/run.js';
import { parseToolFlags, wholeIn } from './options.js';
import { type SoakTally, describeTally, emptyTally, soakClean, tallyRun } from './soak-tally.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const TWOWAY_BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));

export interface SoakOptions {
  nodes: number;
  runs: number;
  /** Nodes at once; undefined: twoway run's default. */
  concurrency?: number;
  keepLab: boolean;
}

export const SOAK_USAGE = `usage: npm run soak -- [--nodes N] [--runs R] [--concurrency C] [--keep-lab]
  --nodes N        healthy lab nodes, 1 to ${FLEET_MAX_NODES} (default 100)
  --runs R         twoway runs in a row over all of them, 1 to 20 (default 3)
  --concurrency C  nodes at once (default: twoway run's own default)
  --keep-lab       leave the lab up at the end (default: tear it down)`;

export function parseSoakArgs(argv: readonly string[]): SoakOptions | 'help' {
  const v = parseToolFlags(argv, { nodes: { type: 'string' }, runs: { type: 'string' }, concurrency: { type: 'string' }, 'keep-lab': { type: 'boolean' } }, SOAK_USAGE);
  if (v.help === true) return 'help';
  return {
    nodes: wholeIn(v.nodes, 100, '--nodes', 1, FLEET_MAX_NODES),
    runs: wholeIn(v.runs, 3, '--runs', 1, 20),
    ...(v.concurrency === undefined ? {} : { concurrency: wholeIn(v.concurrency, 16, '--concurrency', 1, 256) }),
    keepLab: v['keep-lab'] === true,
  };
}

/** One `twoway run` on the fleet inventory; its exit code (null after a signal or the deadline). */
function runTwoway(args: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [TWOWAY_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: labEnv({ NO_COLOR: '1' }) });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += String(d);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // The run stops as an operator's Ctrl-C would stop it: it writes its report and ends its sessions.
  const stop = (): boolean => child.kill('SIGINT');
  signal.addEventListener('abort', stop, { once: true });
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
      resolve({ code, stderr });
    });
  });
}

function readReport(file: string): Report | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Report;
  } catch {
    return undefined;
  }
}

/** Builds the fleet-only lab, runs the soak, tears the lab down (unless keepLab); the tally. */
export async function runSoak(options: SoakOptions, log: (line: string) => void, signal: AbortSignal = new AbortController().signal): Promise<SoakTally> {
  const fleet = fleetScenarios({ nodes: options.nodes, dropped: 0 });
  const names = fleet.map((s) => s.node);
  const work = mkdtempSync(join(tmpdir(), 'twoway-soak-'));
  // Far beyond a working run (a few seconds per 16 nodes): only a hang reaches it.
  const timeoutMs = 120_000 + options.nodes * 2_000;
  let tally = emptyTally();
  try {
    const up = await labUp({ log: (line) => log(`lab: ${line}`), fleet: { nodes: options.nodes, dropped: 0 }, onlyFleet: true });
    for (let run = 1; run <= options.runs && !signal.aborted; run++) {
      const json = join(work, `run-${run}.json`);
      const args = ['run', '--inventory', up.paths.fleetInventory, '--json', json, '--quiet', ...(options.concurrency === undefined ? [] : ['--concurrency', String(options.concurrency)])];
      const started = Date.now();
      const ran = await runTwoway(args, timeoutMs, signal);
      const before = tally.alarms.length;
      tally = tallyRun(tally, run, names, ran.code, readReport(json));
      log(`run ${run}/${options.runs}: exit ${ran.code ?? 'none'}, ${((Date.now() - started) / 1000).toFixed(1)} s, ${tally.alarms.length - before} false alarm(s)`);
      if (ran.code !== 0 && ran.code !== 1) log(`run ${run} stderr: ${ran.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (!options.keepLab) await labDown({ log: (line) => log(`lab: ${line}`) });
  }
  return tally;
}

export async function soakMain(argv: readonly string[]): Promise<number> {
  const say = (line: string): void => {
    process.stderr.write(`soak: ${line}\n`);
  };
  let options: SoakOptions | 'help';
  try {
    options = parseSoakArgs(argv);
  } catch (err) {
    say((err as Error).message);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${SOAK_USAGE}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    say('the soak builds the lab (network namespaces): run it as root');
    return 2;
  }
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    say(`${sig}: stopping the current run, then tearing the lab down`);
    abort.abort(sig);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  try {
    const tally = await runSoak(options, say, abort.signal);
    process.stdout.write(`${describeTally(tally, options.nodes).join('\n')}\n`);
    if (abort.signal.aborted) return 130;
    return soakClean(tally) ? 0 : 1;
  } catch (err) {
    say(err instanceof TwowayError ? err.message : String((err as Error).stack ?? err));
    return 1;
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  }
}
