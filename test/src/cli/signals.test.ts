/**
 * Stopping `twoway run` from outside, on loopback: the node is a TCP server that never speaks SSH, so
 * the run waits in the node's session until the test signals it. The process the operator starts
 * supervises the controller, its child (src/cli/supervise.ts); with a controller namespace the child
 * is started under `ip netns exec`, here a stand-in first on PATH that runs the command in place and
 * passes every other `ip` command to the real one. The lab's test/lab/interrupt.test.ts does the same
 * with a real namespace, listeners, firewall openings and agents.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { cmdline } from '../../../controller/host/procfs.js';
import type { Report } from '../../../src/report.js';
import { BIN, tempDir } from '../../helpers/cli.js';
import { LOOPBACK, serveOnLoopback } from '../../helpers/loopback-server.js';

/** Every wait here ends on an event; these bounds only stop a broken run from hanging the suite. */
const EVENT_BOUND_MS = 60_000;

interface RunUnderway {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  report: () => Report;
  /** The PID of the controller: the started process's child. */
  innerPid: number;
  /** The node's end of the connection ssh made. */
  node: Socket;
  /** Resolves when that connection closes. */
  sessionClosed: Promise<void>;
}

function bounded<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${EVENT_BOUND_MS} ms`)), EVENT_BOUND_MS);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** A run in its own process group (as a shell job), in the node's SSH session when this resolves. */
async function runUnderway(t: TestContext, inNetns: boolean): Promise<RunUnderway> {
  const dir = tempDir(t, 'twoway-signals-');
  let firstConnection: (socket: Socket) => void = () => undefined;
  const connected = new Promise<Socket>((resolve) => (firstConnection = resolve));
  const server = createServer((socket) => {
    // Read (and drop) what ssh sends, so its hang-up is seen.
    socket.resume();
    firstConnection(socket);
  });
  const port = await serveOnLoopback(t, server);

  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const realIp = spawnSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(
    join(bin, 'ip'),
    `#!/bin/sh\nif [ "$1 $2" = "netns exec" ]; then echo "$3" > '${join(dir, 'netns')}'; shift 3; exec "$@"; fi\nexec '${realIp}' "$@"\n`,
  );
  chmodSync(join(bin, 'ip'), 0o755);
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, `${inNetns ? 'controller:\n  netns: stand-in\n' : ''}nodes:\n  - name: silent\n    address: ${LOOPBACK}\n    port: ${port}\n    user: root\n`);
  const json = join(dir, 'report.json');
  const child = spawn(
    process.execPath,
    [BIN, 'run', '--inventory', inventory, '--port', '0', '--ssl-port', '0', '--no-alternates', '--connect-timeout', '300', '--json', json],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', PATH: `${bin}:${process.env.PATH ?? ''}` } },
  );
  let innerPid: number | undefined;
  // A failed test may leave them running: each is signalled only while it is still this test's run.
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (innerPid !== undefined && isLive(innerPid) && cmdline(innerPid)?.includes(BIN) === true) process.kill(innerPid, 'SIGKILL');
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const socket = await bounded('ssh connects to the node', connected);
  const sessionClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  innerPid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim());
  assert.ok(innerPid > 0, 'the started process has the controller as its one child');
  assert.equal(existsSync(join(dir, 'netns')) && readFileSync(join(dir, 'netns'), 'utf8').trim(), inNetns && 'stand-in', 'entered the namespace only when the inventory names one');
  assert.match(cmdline(innerPid) ?? '', /--max-semi-space-size=2\b/, 'the controller runs with the small young generation (src/cli/supervise.ts)');
  return { child, exited, stderr: () => stderr, report: () => JSON.parse(readFileSync(json, 'utf8')) as Report, innerPid, node: socket, sessionClosed };
}

/** Whether the process runs (a zombie does not: its parent may be dead too). */
function isLive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves when the process is gone; polls for at most EVENT_BOUND_MS. */
async function gone(pid: number): Promise<void> {
  for (const deadline = Date.now() + EVENT_BOUND_MS; Date.now() < deadline; ) {
    if (!isLive(pid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`process ${pid} still there after ${EVENT_BOUND_MS} ms`);
}

/** The run was stopped, not cut off: each node has a result, the report says interrupted, the session was ended. */
async function assertStoppedCleanly(run: RunUnderway, reason: RegExp): Promise<void> {
  await bounded('the node session ends', run.sessionClosed);
  const report = run.report();
  assert.equal(report.run.interrupted, true);
  assert.equal(report.nodes.length, 1);
  assert.match(run.stderr(), reason);
  assert.equal(run.stderr().match(/: stopping; every node still gets a result/g)?.length, 1, `stopped once, not twice:\n${run.stderr()}`);
}

const SIGNALS: [NodeJS.Signals, number][] = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
];

for (const inNetns of [false, true]) {
  const how = inNetns ? 'with a controller namespace' : 'without a controller namespace';
  for (const [sig, status] of SIGNALS) {
    test(`signals ${how}: ${sig} to the started process stops the run, writes the report and exits ${status}`, async (t) => {
      const run = await runUnderway(t, inNetns);
      process.kill(run.child.pid!, sig);
      const { code } = await bounded('the run exits', run.exited);
      assert.equal(code, status, run.stderr());
      await assertStoppedCleanly(run, new RegExp(`twoway: ${sig}: stopping`));
    });

    test(`signals ${how}: ${sig} to the whole process group (a terminal, a shell) counts once`, async (t) => {
      const run = await runUnderway(t, inNetns);
      process.kill(-run.child.pid!, sig);
      const { code } = await bounded('the run exits', run.exited);
      assert.equal(code, status, run.stderr());
      await assertStoppedCleanly(run, new RegExp(`twoway: ${sig}: stopping`));
    });
  }

  test(`signals ${how}: SIGKILL of the started process makes the controller stop as if interrupted`, async (t) => {
    const run = await runUnderway(t, inNetns);
    process.kill(run.child.pid!, 'SIGKILL');
    assert.equal((await bounded('the started process dies', run.exited)).signal, 'SIGKILL');
    await gone(run.innerPid);
    await assertStoppedCleanly(run, /twoway: the process that started this run is gone: stopping/);
  });

  test(`signals ${how}: the controller killed outright makes the started process exit 137`, async (t) => {
    const run = await runUnderway(t, inNetns);
    process.kill(run.innerPid, 'SIGKILL');
    assert.equal((await bounded('the started process exits', run.exited)).code, 137);
  });

  test(`signals ${how}: a run that ends by itself passes its own exit code through`, async (t) => {
    const run = await runUnderway(t, inNetns);
    // The node hangs up: ssh fails at once, the node is ssh-unreachable, a fault: exit 1.
    run.node.destroy();
    const { code } = await bounded('the run exits', run.exited);
    assert.equal(code, 1, run.stderr());
    assert.equal(run.report().run.interrupted, false);
  });
}

test('signals: a supervision mark without the supervisor (an exported variable) is refused, not re-executed again', () => {
  const r = spawnSync(process.execPath, [BIN, 'run', '--node', '127.0.0.1'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TWOWAY_SUPERVISED: '' } });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^twoway: TWOWAY_SUPERVISED is set, but no twoway process started this one \(unset TWOWAY_SUPERVISED\)$/m);
  assert.equal(r.stdout, '');
});
