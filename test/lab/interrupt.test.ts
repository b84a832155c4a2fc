/**
 * Issue 14 item 1 on the lab: stopping an `--open-firewall` run from outside with SIGINT, SIGTERM,
 * SIGHUP or SIGKILL of the process the operator started, with a controller namespace (the lab's
 * inventory: the started process enters twl-ctl for its controller child) and without one (the
 * inventory without `controller:`, started inside twl-ctl, as an operator on that host would). After
 * each: the exit status is 128 + the signal (SIGKILL: the killed process's own status, and its
 * controller child ends), no listener of the run is left in twl-ctl, no twoway_open_* chain, and no
 * session or agent process on the node. The loopback side of this is test/src/cli/signals.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { cmdline } from '../../controller/host/procfs.js';
import { labDown, labStatus, labUp, setFault } from '../../controller/lab/index.js';
import { CTL_NETNS, nodeNetns } from '../../controller/lab/plan.js';
import type { Report } from '../../src/report.js';
import { labInventoryOf } from './lab-inventory.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
const NODE = 'healthy';
/** Bounds on waits that end on an event (an opening, an agent event, an exit); they only stop a broken run from hanging. */
const EVENT_BOUND_MS = 60_000;
/** Each test as a whole, so that an awaited exit or stream end that never comes fails it instead of hanging the suite. */
const TEST_BOUND = { timeout: 240_000 };

let work = '';
let withNetns = '';
let withoutNetns = '';
/** Processes a failed test may have left: each is signalled only while it is still a twoway run of this test. */
const leftovers: (() => void)[] = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-interrupt-'));
  const inventory = (await labUp()).paths.inventory;
  withNetns = labInventoryOf(inventory, work, [NODE]);
  const doc = parse(readFileSync(withNetns, 'utf8')) as { controller?: unknown };
  delete doc.controller;
  withoutNetns = join(work, 'inventory-no-netns.yaml');
  writeFileSync(withoutNetns, stringify(doc));
  await setFault('controller-ingress', true);
});
after(async () => {
  for (const end of leftovers) end();
  await setFault('controller-ingress', false);
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 100 ms until it returns a value, at most EVENT_BOUND_MS. */
async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + EVENT_BOUND_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `${what}: not within ${EVENT_BOUND_MS} ms`);
    await sleep(100);
  }
}

function inCtl(command: string, args: string[]): string {
  return spawnSync('ip', ['netns', 'exec', CTL_NETNS, command, ...args], { encoding: 'utf8' }).stdout;
}

const openings = (): string[] => [...inCtl('nft', ['list', 'ruleset']).matchAll(/chain (twoway_open_\d+)/g)].map((m) => m[1]!);
const listeningPorts = (): number[] => [...inCtl('ss', ['-Hltn']).matchAll(/:(\d+)\s/g)].map((m) => Number(m[1]));
const isLive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** The PIDs in a network namespace, as `ip netns pids` lists them. */
function netnsPids(name: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout.split('\n').filter((line) => /^\d+$/.test(line.trim())).map(Number);
}

/** The node's processes other than its sshd listener: SSH sessions and agents. */
async function sessionProcesses(): Promise<string[]> {
  const sshd = (await labStatus()).nodes.find((n) => n.name === NODE)?.sshd?.pid;
  return netnsPids(nodeNetns(NODE)).filter((pid) => pid !== sshd && isLive(pid)).map((pid) => `${pid} ${cmdline(pid) ?? '?'}`);
}

interface Underway {
  pid: number;
  controllerPid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once every process holding the run's stderr (the started one and its controller) has closed it. */
  stderrClosed: Promise<void>;
  stderr: () => string;
  json: string;
}

/** Whether the run's JSON Lines stream has an event from the node's agent yet. */
function agentReported(jsonl: string): true | undefined {
  if (!existsSync(jsonl)) return undefined;
  for (const line of readFileSync(jsonl, 'utf8').split('\n')) {
    try {
      const record = JSON.parse(line) as { type?: string; node?: string };
      if (record.type === 'agent-event' && record.node === NODE) return true;
    } catch {
      // A line still being written, or the empty end.
    }
  }
  return undefined;
}

/** A long run in its own process group, once the agent on the node has reported and the opening is in place. */
async function runUnderway(name: string, netns: boolean): Promise<Underway> {
  const json = join(work, `${name}.json`);
  const jsonl = join(work, `${name}.jsonl`);
  const args = [BIN, 'run', '--inventory', netns ? withNetns : withoutNetns, '--open-firewall', '--idle-hold', '60', '--json', json, '--jsonl', jsonl];
  // Without a controller namespace in the inventory, the operator runs twoway on the controller host itself: here, twl-ctl.
  const [command, argv] = netns ? [process.execPath, args] : ['ip', ['netns', 'exec', CTL_NETNS, process.execPath, ...args]];
  const child = spawn(command, argv, { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  leftovers.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const stderrClosed = new Promise<void>((resolve) => child.stderr!.once('close', () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await until('the agent reports from the node', () => agentReported(jsonl));
  await until('the opening is in the ruleset', () => (openings().length > 0 ? true : undefined));
  const controllerPid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim());
  assert.ok(controllerPid > 0, 'the started process runs the controller as its one child');
  leftovers.push(() => {
    if (isLive(controllerPid) && cmdline(controllerPid)?.includes(BIN) === true) process.kill(controllerPid, 'SIGKILL');
  });
  return { pid: child.pid!, controllerPid, exited, stderrClosed, stderr: () => stderr, json };
}

/** The controller namespace's ruleset before a run, which must have no opening yet. */
function rulesetWithoutOpenings(): string {
  assert.deepEqual(openings(), [], 'no opening before the run');
  return inCtl('nft', ['list', 'ruleset']);
}

/** Nothing of the run is left: no listener, no opening, no session or agent on the node; the report says interrupted. */
async function assertNothingLeft(run: Underway, rulesetBefore: string): Promise<void> {
  await until('the controller ends', () => (isLive(run.controllerPid) ? undefined : true));
  await run.stderrClosed;
  const report = JSON.parse(readFileSync(run.json, 'utf8')) as Report;
  assert.equal(report.run.interrupted, true, 'the controller stopped as interrupted and wrote its report');
  const ports = new Set(report.run.controller.listeners.map((l) => l.port));
  assert.deepEqual(listeningPorts().filter((p) => ports.has(p)), [], `no listener of the run left in ${CTL_NETNS}`);
  assert.deepEqual(openings(), [], 'no twoway_open_* chain left');
  assert.equal(inCtl('nft', ['list', 'ruleset']), rulesetBefore, 'the ruleset is as before the run');
  assert.match(run.stderr(), /--open-firewall: removed inet \S+ twoway_open_\d+/);
  const left = await until('the node has no session or agent left', async () => {
    const procs = await sessionProcesses();
    return procs.length === 0 ? procs : undefined;
  }).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await sessionProcesses()).join('; ')}`);
  });
  assert.deepEqual(left, []);
}

const STOPS: [NodeJS.Signals, number][] = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
];

for (const netns of [true, false]) {
  const how = netns ? 'with a controller namespace' : 'without a controller namespace';
  for (const [sig, status] of STOPS) {
    test(`lab interrupt ${how}: ${sig} to the started process exits ${status} and leaves nothing behind`, TEST_BOUND, async () => {
      const ruleset = rulesetWithoutOpenings();
      const run = await runUnderway(`${netns ? 'netns' : 'plain'}-${sig}`, netns);
      process.kill(run.pid, sig);
      const { code } = await run.exited;
      assert.equal(code, status, run.stderr());
      assert.match(run.stderr(), new RegExp(`twoway: ${sig}: stopping`));
      await assertNothingLeft(run, ruleset);
    });
  }

  test(`lab interrupt ${how}: SIGKILL of the started process makes its controller stop as if interrupted, leaving nothing behind`, TEST_BOUND, async () => {
    const ruleset = rulesetWithoutOpenings();
    const run = await runUnderway(`${netns ? 'netns' : 'plain'}-SIGKILL`, netns);
    process.kill(run.pid, 'SIGKILL');
    assert.equal((await run.exited).signal, 'SIGKILL');
    await assertNothingLeft(run, ruleset);
    assert.match(run.stderr(), /twoway: the process that started this run is gone: stopping/);
  });
}
