/**
 * The lab end to end, on this machine's kernel: builds it, checks each scenario's SSH behaviour and
 * a few of its faults from inside the namespaces, then tears it down and checks nothing is left.
 * Needs root; it is not skipped without it, because CI runs it as root and a skipped lab test would
 * hide a broken lab.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { LAB_SCENARIOS, labDown, labPaths, labStatus, labUp, setFault } from '../../controller/lab/index.js';
import { CTL_ADDRESS, CTL_NETNS, RTR_NETNS, nodeNetns, prefixesOverlap, routerIface } from '../../controller/lab/plan.js';
import { hasSshd, scenarioAddresses } from '../../controller/lab/scenarios.js';
import { renderInventory } from '../../controller/lab/state.js';
import { labEnv } from '../../controller/lab/run.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ranIn(netns: string, command: string, args: string[], timeoutMs = 20_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', netns, command, ...args], { timeout: timeoutMs, env: labEnv(), encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
      resolve({ code, stdout, stderr });
    });
  });
}

function sshFromController(address: string, command: string, connectTimeoutS = 10): Promise<Ran> {
  const { sshConfig } = labPaths();
  return ranIn(CTL_NETNS, 'ssh', ['-F', sshConfig, '-o', `ConnectTimeout=${connectTimeoutS}`, `root@${address}`, command]);
}

/** A TCP connect from inside a namespace, done by Node itself (the nodes have no curl or nc). */
const CONNECT = `
const [host, port, ms] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: Number(port), timeout: Number(ms) });
s.on('connect', () => { console.log('connected'); s.destroy(); });
s.on('timeout', () => { console.log('timeout'); s.destroy(); });
s.on('error', (e) => console.log(e.code));
`;

async function connectFrom(netns: string, host: string, port: number, timeoutMs = 2_000): Promise<string> {
  return (await ranIn(netns, process.execPath, ['-e', CONNECT, host, String(port), String(timeoutMs)])).stdout.trim();
}

/** A listener on the controller side: 63001 and 443 on the controller address. */
const LISTEN = `
const net = require('node:net');
let pending = 2;
for (const port of [63001, 443]) {
  net.createServer((s) => s.end()).listen(port, process.argv[1], () => { if (--pending === 0) console.log('listening'); });
}
`;

function startControllerListener(): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', CTL_NETNS, process.execPath, '-e', LISTEN, CTL_ADDRESS], { stdio: ['ignore', 'pipe', 'inherit'], env: labEnv() });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('controller-side test listener did not start within 5 s')), 5_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (String(d).includes('listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`controller-side test listener exited with ${code ?? 'a signal'}`));
    });
  });
}

/** Ends a listener this test started (ChildProcess.kill signals its own PID and ignores one already gone). */
function stopListener(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}

function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function labNamespaces(): Promise<string[]> {
  const out = await new Promise<string>((resolve) => execFile('ip', ['-j', 'netns', 'list'], { env: labEnv() }, (_e, stdout) => resolve(String(stdout))));
  const list = out.trim() === '' ? [] : (JSON.parse(out) as { name: string }[]);
  return list.map((n) => n.name).filter((n) => n.startsWith('twl-'));
}

test('address arithmetic: overlap of IPv4 prefixes', () => {
  assert.equal(prefixesOverlap('10.231.0.0/16', '10.231.5.0/24'), true);
  assert.equal(prefixesOverlap('10.0.0.0/8', '10.231.0.0/16'), true);
  assert.equal(prefixesOverlap('10.231.7.9', '10.231.0.0/16'), true);
  assert.equal(prefixesOverlap('10.232.0.0/16', '10.231.0.0/16'), false);
  assert.equal(prefixesOverlap('192.0.2.0/24', '10.231.0.0/16'), false);
});

test('scenario table: unique names, subnets and interface names', () => {
  const names = LAB_SCENARIOS.map((s) => s.node);
  assert.equal(new Set(names).size, names.length);
  const subnets = LAB_SCENARIOS.flatMap((s) => s.links.map((l) => l.n));
  assert.equal(new Set(subnets).size, subnets.length);
  for (const n of subnets) assert.ok(n >= 1 && n <= 253, `subnet ${n}`);
  // Interface names are limited to 15 bytes by the kernel (namespace names are not).
  for (const s of LAB_SCENARIOS) for (const l of s.links) assert.ok(l.nodeIface.length <= 15 && routerIface(l.n).length <= 15, s.node);
});

test('inventory shape', () => {
  const text = renderInventory(LAB_SCENARIOS);
  assert.match(text, /^# Written by `twoway lab up`; `twoway run --inventory <this file>` takes it as it is\.\ncontroller:\n  netns: twl-ctl\nssh_config: ssh_config {8}# relative to this file\ndefaults:\n  user: root\n  profile: linux\nnodes:\n  - name: healthy\n    address: 10\.231\.1\.2\n/);
  assert.match(text, /\n  - name: dual\n    addresses: \[10\.231\.5\.2, 10\.231\.4\.2\]\n/);
});

test('lab up, scenarios, idempotent up, down', { timeout: 180_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'the lab test runs as root');
  const listeners: ChildProcess[] = [];
  t.after(async () => {
    for (const l of listeners) stopListener(l);
    await labDown();
  });

  // A clean start, so the first `up` really builds.
  await labDown();
  const up = await labUp();
  assert.equal(up.action, 'built');
  const paths = labPaths();

  await t.test('every namespace exists', async () => {
    const present = await labNamespaces();
    for (const ns of [CTL_NETNS, RTR_NETNS, ...LAB_SCENARIOS.map((s) => nodeNetns(s.node))]) assert.ok(present.includes(ns), `${ns} exists`);
  });

  await t.test('ssh from the controller side: works where it should, fails the way each scenario says', async () => {
    const checks = LAB_SCENARIOS.map(async (s) => {
      const address = scenarioAddresses(s)[0] ?? '';
      const r = await sshFromController(address, 'true', 4);
      switch (s.expect.node) {
        case 'ssh-refused':
          assert.match(r.stderr, /Connection refused/, `${s.node}: ${r.stderr}`);
          break;
        case 'ssh-unreachable':
          assert.match(r.stderr, /Connection timed out|No route to host/, `${s.node}: ${r.stderr}`);
          break;
        default:
          assert.ok(hasSshd(s));
          assert.equal(r.code, 0, `${s.node} (${address}): ssh -F ${paths.sshConfig} root@${address} true: ${r.stderr}`);
      }
    });
    await Promise.all(checks);
    // The two that fail in different ways: nothing listening vs ARP that nobody answers.
    assert.match((await sshFromController('10.231.11.2', 'true', 6)).stderr, /No route to host/);
  });

  await t.test('node is on PATH for SSH sessions on healthy, not on noruntime', async () => {
    const healthy = await sshFromController('10.231.1.2', 'command -v node');
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.match(healthy.stdout, /\/node\s*$/);
    const noruntime = await sshFromController('10.231.12.2', 'command -v node');
    assert.notEqual(noruntime.code, 0);
    assert.equal(noruntime.stdout.trim(), '');
    const shell = await sshFromController('10.231.12.2', 'echo alive');
    assert.equal(shell.stdout.trim(), 'alive', 'the noruntime node still runs commands');
  });

  await t.test('esxi-egress: 63001 is blocked, 443 passes; controller-ingress fault blocks everyone', async () => {
    listeners.push(await startControllerListener());
    assert.equal(await connectFrom(nodeNetns('healthy'), CTL_ADDRESS, 63001), 'connected');
    assert.equal(await connectFrom(nodeNetns('esxi-egress'), CTL_ADDRESS, 443), 'connected');
    assert.equal(await connectFrom(nodeNetns('esxi-egress'), CTL_ADDRESS, 63001), 'timeout');
    assert.equal(await connectFrom(nodeNetns('reject'), CTL_ADDRESS, 63001), 'ECONNREFUSED');

    assert.equal(await setFault('controller-ingress', true), true);
    assert.deepEqual((await labStatus()).faults, ['controller-ingress']);
    assert.equal(await connectFrom(nodeNetns('healthy'), CTL_ADDRESS, 63001, 1_000), 'timeout');
    assert.equal(await connectFrom(nodeNetns('healthy'), CTL_ADDRESS, 443), 'connected');
    assert.equal(await setFault('controller-ingress', false), true);
    assert.equal(await connectFrom(nodeNetns('healthy'), CTL_ADDRESS, 63001), 'connected');
  });

  await t.test('up again is a no-op', async () => {
    const again = await labUp();
    assert.equal(again.action, 'already-up');
    assert.equal((await labStatus()).up, true);
  });

  const sshdPids = (await labStatus()).nodes.flatMap((n) => (n.sshd?.pid === undefined ? [] : [n.sshd.pid]));
  assert.equal(sshdPids.length, LAB_SCENARIOS.filter(hasSshd).length);

  await t.test('down leaves nothing', async () => {
    for (const l of listeners) stopListener(l);
    const down = await labDown();
    assert.ok(down.removed.length > 0);
    assert.deepEqual(await labNamespaces(), []);
    for (const pid of sshdPids) assert.equal(pidAlive(pid), false, `sshd ${pid} is gone`);
    assert.equal(existsSync(paths.stateDir), false);
    const status = await labStatus();
    assert.equal(status.up, false);
    assert.equal(status.present, false);
    assert.equal(status.guardRoute, false);
    assert.deepEqual((await labDown()).removed, [], 'a second down finds nothing');
  });
});
