/**
 * Issue 14 item 2 on the lab: nothing of an agent outlives its SSH session. Four nodes whose agents
 * stay busy (callbacks that never connect, a stalled download, a slow link) each run another flavour
 * (Node, Python, sh with curl, sh with GNU wget). Once every node's namespace holds an agent process,
 * the controller's ssh clients are killed (SIGKILL, by PID, found as descendants of the run); then
 * every node namespace must come back to its sshd alone: no agent, no curl/wget child, no session.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labDown, labUp } from '../../controller/lab/index.js';
import { nodeNetns } from '../../controller/lab/plan.js';
import { sshdPid } from '../../controller/lab/sshd.js';
import type { AgentFlavour } from '../../src/agent-flavours.js';
import type { Report } from '../../src/report.js';
import { labInventoryOf } from './lab-inventory.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));
/**
 * Nodes whose agents keep working for seconds, each with the flavour it is asked to run and the
 * process that shows that agent at work (its runtime, or the client the sh agent runs per request).
 */
const BUSY: readonly [string, AgentFlavour, string][] = [
  ['esxi-egress', 'node', 'node'],
  ['return-acl', 'python', 'python'],
  ['mtu', 'sh-curl', 'curl'],
  ['slow', 'sh-wget', 'wget'],
];
/** Bounds on waits that end on an event; they only stop a broken run from hanging. */
const EVENT_BOUND_MS = 30_000;

let work = '';
let inventory = '';
const sshdOf = new Map<string, number>();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'twoway-lab-lifetime-'));
  const up = await labUp();
  inventory = labInventoryOf(up.paths.inventory, work, BUSY.map(([from, runtime]) => ({ from, runtime })));
  for (const [node] of BUSY) {
    const pid = sshdPid(up.paths, node);
    assert.ok(pid, `the lab's sshd of ${node}`);
    sshdOf.set(node, pid);
  }
});
after(async () => {
  await labDown();
  rmSync(work, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function statOf(pid: number): { comm: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' ? undefined : { comm, ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/** Processes in a node's namespace other than its sshd listener, as `pid comm`. */
function othersIn(node: string): string[] {
  const listed = spawnSync('ip', ['netns', 'pids', nodeNetns(node)], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l !== '');
  return listed.map(Number).filter((pid) => pid !== sshdOf.get(node)).flatMap((pid) => {
    const stat = statOf(pid);
    return stat === undefined ? [] : [`${pid} ${stat.comm}`];
  });
}

/** Live descendants of `root` whose command is `comm`. */
function descendants(root: number, comm: string): number[] {
  const parent = new Map<number, number>();
  const names = new Map<number, string>();
  for (const d of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    const stat = statOf(Number(d));
    if (stat === undefined) continue;
    parent.set(Number(d), stat.ppid);
    names.set(Number(d), stat.comm);
  }
  const under = (pid: number): boolean => {
    for (let p = parent.get(pid), hops = 0; p !== undefined && hops < 64; p = parent.get(p), hops++) if (p === root) return true;
    return false;
  };
  return [...names].filter(([pid, name]) => name === comm && under(pid)).map(([pid]) => pid);
}

test('lab: killing the ssh sessions leaves no agent process on any node, whatever its flavour', { timeout: 120_000 }, async () => {
  const json = join(work, 'lifetime.json');
  const run = spawn(process.execPath, [BIN, 'run', '--inventory', inventory, '--json', json], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  run.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  run.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)));
  assert.ok(run.pid);

  const deadline = Date.now() + EVENT_BOUND_MS;
  // An agent is at work once its flavour's own process shows in the node's namespace (before it: sshd and the bootstrap's shell).
  const worker = new Map(BUSY.map(([node, , comm]) => [node, comm]));
  const agentless = (node: string): boolean => !othersIn(node).some((p) => p.split(' ')[1]?.startsWith(worker.get(node) ?? '?'));
  let busy = BUSY.map(([node]) => node).filter(agentless);
  while (busy.length > 0) {
    assert.ok(Date.now() < deadline, `no agent process seen within ${EVENT_BOUND_MS} ms on ${busy.join(', ')}\n${output}`);
    await sleep(20);
    busy = busy.filter(agentless);
  }
  const before = Object.fromEntries(BUSY.map(([node]) => [node, othersIn(node)]));
  const clients = descendants(run.pid, 'ssh');
  assert.ok(clients.length >= BUSY.length, `one ssh client per node under the run: ${clients.join(', ')}`);
  for (const pid of clients) process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();

  const left = (): Record<string, string[]> => Object.fromEntries(BUSY.map(([node]): [string, string[]] => [node, othersIn(node)]).filter(([, l]) => l.length > 0));
  const end = Date.now() + EVENT_BOUND_MS;
  let remaining = left();
  while (Object.keys(remaining).length > 0 && Date.now() < end) {
    await sleep(200);
    remaining = left();
  }
  process.stdout.write(`# before the kill: ${JSON.stringify(before)}\n# node namespaces back to sshd alone ${Date.now() - killedAt} ms after the kill\n`);
  assert.deepEqual(remaining, {}, `processes left in node namespaces ${EVENT_BOUND_MS} ms after their ssh clients were killed`);

  const code = await exited;
  assert.equal(code, 1, output);
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  assert.deepEqual(report.nodes.map((n) => n.name).sort(), BUSY.map(([node]) => node).sort(), 'every node has a result');
});
