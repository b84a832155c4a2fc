/**
 * The lab end to end, on this machine's kernel: builds it, checks each scenario's SSH behaviour and
 * a few of its faults from inside the namespaces, then tears it down and checks nothing is left.
 * Needs root; it is not skipped without it, because CI runs it as root and a skipped lab test would
 * hide a broken lab.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LAB_FAULTS, LAB_SCENARIOS, labDown, labPaths, labStatus, labUp, setFault } from '../../controller/lab/index.js';
import { CTL_ADDRESS, CTL_NETNS, LAB_BLOCK, RTR_NETNS, bridgePortIface, nodeAddress, nodeNetns, prefixesOverlap, routerIface } from '../../controller/lab/plan.js';
import { SHARED_SUBNET } from '../../controller/lab/scenarios.js';
import { describeLabParams } from '../../controller/lab/params.js';
import { type LabScenario, hasSshd, linkAddress, linkHost, scenarioAddresses, sharedSubnets } from '../../controller/lab/scenarios-model.js';
import { checkLabReport, expectedFor, expectedUnderFault } from '../../controller/lab/expectations.js';
import { renderNftTable } from '../../controller/lab/faults.js';
import { LAB_LOCK_FILE, renderInventory, withLock } from '../../controller/lab/state.js';
import { assertBlockFree, blockClashes } from '../../controller/lab/topology.js';
import { labEnv, sleep } from '../../controller/lab/run.js';
import { endProcesses, identify } from '../../controller/lab/processes.js';
import type { Report } from '../../src/report.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));

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

/** A TCP connect from inside a namespace, done by Node itself (the nodes have no curl or nc); optionally from a given source address. */
const CONNECT = `
const [host, port, ms, local] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: Number(port), timeout: Number(ms), localAddress: local || undefined });
s.on('connect', () => { console.log('connected'); s.destroy(); });
s.on('timeout', () => { console.log('timeout'); s.destroy(); });
s.on('error', (e) => console.log(e.code));
`;

async function connectFrom(netns: string, host: string, port: number, timeoutMs = 2_000, localAddress = ''): Promise<string> {
  return (await ranIn(netns, process.execPath, ['-e', CONNECT, host, String(port), String(timeoutMs), localAddress])).stdout.trim();
}

/**
 * An echo exchange with a quiet spell: connect, send a byte and get it back, stay quiet for
 * QUIET ms, send again and wait up to WAIT ms for the echo. Prints echo, no-echo, or an error code.
 */
const QUIET_EXCHANGE = `
const [host, port, quietMs, waitMs] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const s = require('node:net').connect({ host, port });
const done = (what) => { console.log(what); s.destroy(); process.exit(0); };
setTimeout(() => done('connect-timeout'), quietMs + waitMs + 3000);
s.on('error', (e) => done(e.code));
s.on('connect', () => {
  s.write('a');
  s.once('data', () => setTimeout(() => {
    s.write('b');
    const timer = setTimeout(() => done('no-echo'), waitMs);
    s.once('data', () => { clearTimeout(timer); done('echo'); });
  }, quietMs));
});
`;

async function quietExchangeFrom(netns: string, port: number, quietMs: number, waitMs: number): Promise<string> {
  return (await ranIn(netns, process.execPath, ['-e', QUIET_EXCHANGE, CTL_ADDRESS, String(port), String(quietMs), String(waitMs)])).stdout.trim();
}

/** A listener on the controller side, on the controller address: 63001 and 443 accept and close, 63002 echoes. */
const LISTEN = `
const net = require('node:net');
let pending = 3;
const ready = () => { if (--pending === 0) console.log('listening'); };
for (const port of [63001, 443]) net.createServer((s) => s.end()).listen(port, process.argv[1], ready);
net.createServer((s) => { s.on('error', () => {}); s.on('data', (d) => s.write(d)); }).listen(63002, process.argv[1], ready);
`;

/** The remaining timeout (seconds) of the router's conntrack entries whose text contains every fragment. */
async function routerConntrackTimeouts(...fragments: string[]): Promise<number[]> {
  const r = await ranIn(RTR_NETNS, 'cat', ['/proc/net/nf_conntrack']);
  assert.equal(r.code, 0, `reading /proc/net/nf_conntrack in ${RTR_NETNS}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => fragments.every((f) => l.includes(f)))
    .map((l) => Number(l.trim().split(/\s+/)[4]));
}

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

/** Runs a read-only `ip` command in this (the root) namespace. */
function ipRoot(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('ip', args, { timeout: 10_000, env: labEnv(), encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
      resolve({ code, stdout, stderr });
    });
  });
}

async function labNamespaces(): Promise<string[]> {
  const out = (await ipRoot(['-j', 'netns', 'list'])).stdout;
  const list = out.trim() === '' ? [] : (JSON.parse(out) as { name: string }[]);
  return list.map((n) => n.name).filter((n) => n.startsWith('twl-'));
}

async function guardRoutePresent(): Promise<boolean> {
  const routes = JSON.parse((await ipRoot(['-4', '-j', 'route', 'show', 'table', 'all'])).stdout) as { dst?: string; type?: string }[];
  return routes.some((r) => r.dst === LAB_BLOCK && r.type === 'unreachable');
}

/** The namespace inode of every lab namespace, to look for afterwards. */
function labNetnsInodes(names: readonly string[]): Set<number> {
  return new Set(names.map((n) => statSync(`/run/netns/${n}`).ino));
}

/** Processes whose network namespace is one of these (read from /proc, independently of the lab's own check). */
function processesInNetns(inodes: ReadonlySet<number>): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
        return m !== null && inodes.has(Number(m[1]));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A process in a lab namespace that ignores SIGTERM, as a hung run would: only SIGKILL ends it. */
function startStubbornProcess(netns: string): ChildProcess {
  return spawn('ip', ['netns', 'exec', netns, 'sh', '-c', 'trap "" TERM; sleep 600'], { stdio: 'ignore', env: labEnv() });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Everything `down` must leave behind: nothing at all. */
async function assertNothingLeft(stateDir: string, inodes: ReadonlySet<number>): Promise<void> {
  assert.deepEqual(await labNamespaces(), [], 'no twl- namespace');
  assert.deepEqual(processesInNetns(inodes), [], 'no process in a lab namespace');
  assert.equal(await guardRoutePresent(), false, 'no guard route');
  assert.equal(existsSync(stateDir), false, 'no state directory');
  const status = await labStatus();
  assert.equal(status.present, false);
  assert.equal(status.up, false);
}

test('address arithmetic: overlap of IPv4 prefixes', () => {
  assert.equal(prefixesOverlap('10.231.0.0/16', '10.231.5.0/24'), true);
  assert.equal(prefixesOverlap('10.0.0.0/8', '10.231.0.0/16'), true);
  assert.equal(prefixesOverlap('10.231.7.9', '10.231.0.0/16'), true);
  assert.equal(prefixesOverlap('10.232.0.0/16', '10.231.0.0/16'), false);
  assert.equal(prefixesOverlap('192.0.2.0/24', '10.231.0.0/16'), false);
});

test('overlap check: routes inside or around the lab block clash; the guard route, default and others do not', () => {
  const routes = [
    { dst: 'default', dev: 'eth0' },
    { dst: '192.0.2.0/24', dev: 'eth0' },
    { dst: LAB_BLOCK, type: 'unreachable' },
    { dst: '10.231.7.0/24', dev: 'eth9' },
    { dst: '10.0.0.0/8', dev: 'tun0', table: 'vpn' },
    { dst: '10.232.0.0/16', dev: 'eth1' },
  ];
  assert.deepEqual(blockClashes(routes).map((r) => r.dst), ['10.231.7.0/24', '10.0.0.0/8']);
  assert.throws(() => assertBlockFree(routes), /already routes part of it \(unicast 10\.231\.7\.0\/24 dev eth9; unicast 10\.0\.0\.0\/8 dev tun0 table vpn\); refusing/);
  assert.doesNotThrow(() => assertBlockFree(routes.filter((r) => !r.dst.startsWith('10.'))));
});

test('scenario table: unique names, addresses and interface names; shared subnets are bridged', () => {
  const names = LAB_SCENARIOS.map((s) => s.node);
  assert.equal(new Set(names).size, names.length);
  const addresses = LAB_SCENARIOS.flatMap(scenarioAddresses);
  assert.equal(new Set(addresses).size, addresses.length);
  const links = LAB_SCENARIOS.flatMap((s) => s.links);
  for (const l of links) assert.ok(l.n >= 1 && l.n <= 253 && linkHost(l) >= 2 && linkHost(l) <= 254, linkAddress(l));
  // Only bridged subnets hold several nodes, and the router's per-link MTU and qdisc do not apply there.
  const shared = sharedSubnets(LAB_SCENARIOS);
  assert.deepEqual([...shared], [SHARED_SUBNET]);
  for (const l of links.filter((x) => shared.has(x.n))) assert.ok(l.routerMtu === undefined && l.routerQdisc === undefined, linkAddress(l));
  // Interface names are limited to 15 bytes by the kernel (namespace names are not).
  for (const s of LAB_SCENARIOS) {
    for (const l of s.links) assert.ok(l.nodeIface.length <= 15 && routerIface(l.n).length <= 15 && bridgePortIface(l.n, linkHost(l)).length <= 15, s.node);
  }
});

test('inventory shape', () => {
  const text = renderInventory(LAB_SCENARIOS);
  assert.match(text, /^# Written by `twoway lab up`; `twoway run --inventory <this file>` takes it as it is\.\ncontroller:\n  netns: twl-ctl\nssh_config: ssh_config {8}# relative to this file\ndefaults:\n  user: root\n  profile: linux\nnodes:\n  - name: healthy\n    address: 10\.231\.1\.2\n/);
  assert.match(text, /\n  - name: dual\n    addresses: \[10\.231\.5\.2, 10\.231\.4\.2\]\n/);
  assert.match(text, /\n  - name: web1\n    address: 10\.231\.20\.2\n  - name: web2\n    address: 10\.231\.20\.3\n/);
});

test('nft rendering: ct timeout objects before the chains, a prerouting filter chain', () => {
  const text = renderNftTable('t', [
    { tag: 'a', rules: { ctTimeouts: { short: { protocol: 'tcp', l3proto: 'ip', policy: { established: 3 } } }, prerouting: ['tcp dport 1 ct timeout set "short"'] } },
    { tag: 'b', rules: { forward: ['tcp dport 2 drop'] } },
  ]);
  assert.equal(
    text,
    [
      'table inet t {',
      '  ct timeout short {',
      '    protocol tcp;',
      '    l3proto ip;',
      '    policy = { established: 3 };',
      '  }',
      '  chain prerouting {',
      '    type filter hook prerouting priority filter; policy accept;',
      '    tcp dport 1 ct timeout set "short" comment "a"',
      '  }',
      '  chain forward {',
      '    type filter hook forward priority filter; policy accept;',
      '    tcp dport 2 drop comment "b"',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const twice = { tag: 'c', rules: { ctTimeouts: { short: { protocol: 'tcp' as const, l3proto: 'ip' as const, policy: { established: 1 } } } } };
  assert.throws(() => renderNftTable('t', [twice, twice]), /defined twice/);
});

function scenario(name: string): LabScenario {
  const s = LAB_SCENARIOS.find((x) => x.node === name);
  assert.ok(s, name);
  return s;
}

function fault(name: string): (typeof LAB_FAULTS)[number] {
  const f = LAB_FAULTS.find((x) => x.name === name);
  assert.ok(f, name);
  return f;
}

test('expectations: the idle node depends on the run\'s idle hold; faults change only the callbacks they reach', () => {
  const idle = scenario('idle');
  const holdMs = idle.expect.idleCut?.afterMs ?? assert.fail('the idle scenario has an idle cut');
  assert.equal(expectedFor(idle, { idleHoldMs: 0 }).node, 'ok');
  assert.equal(expectedFor(idle, { idleHoldMs: holdMs }).node, 'ok');
  const cut = expectedFor(idle, { idleHoldMs: holdMs + 2000 });
  assert.equal(cut.node, 'idle-cut');
  assert.deepEqual(cut.paths.map((p) => `${p.direction} ${p.port} ${p.verdict}`), ['callback 63001 idle-cut', 'callback 63002 idle-cut']);
  assert.equal(expectedFor(scenario('healthy'), { idleHoldMs: holdMs + 2000 }).node, 'ok');

  // A report is judged by its own settings: the same idle-cut verdicts pass with a hold, fail without.
  const idleNode = {
    name: 'idle',
    addresses: [nodeAddress(14)],
    verdict: 'idle-cut',
    paths: [63001, 63002].map((port) => ({ direction: 'callback', from: nodeAddress(14), to: CTL_ADDRESS, port, verdict: 'idle-cut' })),
  };
  const report = (idleHoldMs: number): Report => ({ run: { settings: { idleHoldMs } }, nodes: [idleNode] }) as unknown as Report;
  assert.equal(checkLabReport(report(holdMs + 2000), [idle])[0]?.ok, true);
  assert.equal(checkLabReport(report(0), [idle])[0]?.ok, false);

  const subnetEgress = fault('subnet-egress');
  const ingress = fault('controller-ingress');
  assert.deepEqual(expectedUnderFault(scenario('web1'), subnetEgress).node, 'blocked');
  assert.deepEqual(expectedUnderFault(scenario('web2'), subnetEgress).paths.map((p) => p.verdict), ['blocked', 'blocked']);
  for (const other of ['healthy', 'dual', 'return-acl', 'idle']) assert.deepEqual(expectedUnderFault(scenario(other), subnetEgress), scenario(other).expect, other);
  // Stopped by the node's own firewall before any fault: unchanged.
  assert.deepEqual(expectedUnderFault(scenario('esxi-egress'), ingress), scenario('esxi-egress').expect);
  assert.deepEqual(expectedUnderFault(scenario('reject'), ingress), scenario('reject').expect);
  // dual: the prod callbacks reach the controller and are cut; the mgmt ones already stop at the router.
  const dual = expectedUnderFault(scenario('dual'), ingress);
  assert.equal(dual.node, 'blocked');
  assert.deepEqual(
    dual.paths.map((p) => `${p.direction} ${p.port} ${p.address ?? '*'} ${p.verdict}`).sort(),
    [
      `callback 63001 ${nodeAddress(4)} blocked`,
      `callback 63001 ${nodeAddress(5)} blocked`,
      `callback 63002 ${nodeAddress(4)} blocked`,
      `callback 63002 ${nodeAddress(5)} blocked`,
      `forward 22 ${nodeAddress(4)} return-path-lost`,
    ],
  );
  // slow names one port only; under the fault both are blocked.
  assert.deepEqual(expectedUnderFault(scenario('slow'), ingress).paths.map((p) => `${p.port} ${p.verdict}`), ['63001 blocked', '63002 blocked']);
  assert.equal(expectedUnderFault(scenario('return-acl'), ingress).node, 'blocked');
  // A path the agent cannot measure (wget: https) stays not measured under any fault.
  assert.deepEqual(expectedUnderFault(scenario('only-wget'), ingress).paths.map((p) => `${p.port} ${p.verdict}`).sort(), ['63001 blocked', '63002 not-measured']);
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
  // The idle node's conntrack timeout is drawn per build (TWOWAY_LAB_SEED picks it).
  const idleTimeoutS = up.params.idleTimeoutS;
  t.diagnostic(`lab parameters: ${describeLabParams(up.params)}`);

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

  await t.test('return-acl: the SYN reaches the controller (SYN_RECV there), the SYN-ACK never comes back; forward SSH passes', async () => {
    const node = nodeAddress(13);
    const connecting = connectFrom(nodeNetns('return-acl'), CTL_ADDRESS, 63001, 2_000);
    await sleep(700);
    const halfOpen = await ranIn(CTL_NETNS, 'ss', ['-Htn', 'state', 'syn-recv']);
    assert.equal(halfOpen.code, 0, halfOpen.stderr);
    assert.match(halfOpen.stdout, new RegExp(`${CTL_ADDRESS.replace(/\./g, '\\.')}:63001\\s+${node.replace(/\./g, '\\.')}:\\d+`), halfOpen.stdout);
    assert.equal(await connecting, 'timeout');
    assert.equal(await connectFrom(CTL_NETNS, node, 22), 'connected');
    // Nothing but sshd listens on a lab node: 443 is answered with the node's own reset.
    assert.equal(await connectFrom(CTL_NETNS, node, 443), 'ECONNREFUSED');
  });

  await t.test(`idle: the router's callback flows from the node get a ${idleTimeoutS} s established timeout; a quiet connection dies, SSH does not`, async () => {
    const table = await ranIn(RTR_NETNS, 'nft', ['list', 'table', 'inet', 'twoway_lab']);
    assert.match(table.stdout, new RegExp(`ct timeout idle_callbacks \\{[^}]*protocol tcp\\b[^}]*policy = \\{ established\\s*:\\s*${idleTimeoutS} \\}`), table.stdout);
    const node = nodeAddress(14);
    const longQuiet = idleTimeoutS * 1000 + 1_500;
    // In parallel: quiet 1 s and quiet past the timeout from idle; the long quiet from healthy (no
    // short timeout there); an SSH session to idle that stays quiet as long.
    const short = quietExchangeFrom(nodeNetns('idle'), 63002, 1_000, 1_500);
    const long = quietExchangeFrom(nodeNetns('idle'), 63002, longQuiet, 1_500);
    const control = quietExchangeFrom(nodeNetns('healthy'), 63002, longQuiet, 1_500);
    const ssh = sshFromController(node, `sleep ${longQuiet / 1000}; echo still-here`);
    await sleep(700);
    const callbackTimeouts = await routerConntrackTimeouts(`src=${node} `, 'dport=63002 ', 'ESTABLISHED');
    assert.ok(callbackTimeouts.length >= 2 && callbackTimeouts.every((s) => s <= idleTimeoutS), `callback flows: ${callbackTimeouts.join(', ')}`);
    const sshTimeouts = await routerConntrackTimeouts(`dst=${node} `, 'dport=22 ', 'ESTABLISHED');
    // Not the short policy. Not necessarily the kernel's 5-day established timeout either: while a
    // segment is unacknowledged (a loaded machine) conntrack applies its 300 s "unacknowledged" one.
    assert.ok(sshTimeouts.length >= 1 && sshTimeouts.every((s) => s > 60), `ssh flows: ${sshTimeouts.join(', ')}`);
    assert.equal(await short, 'echo');
    assert.equal(await long, 'no-echo');
    assert.equal(await control, 'echo');
    const sshResult = await ssh;
    assert.equal(sshResult.stdout.trim(), 'still-here', sshResult.stderr);
  });

  await t.test('dual: callbacks from prod pass, from mgmt (leaving by the prod NIC) the router drops', async () => {
    assert.equal(await connectFrom(nodeNetns('dual'), CTL_ADDRESS, 63001, 2_000, nodeAddress(5)), 'connected');
    assert.equal(await connectFrom(nodeNetns('dual'), CTL_ADDRESS, 63001, 1_500, nodeAddress(4)), 'timeout');
  });

  await t.test('web1 and web2 share a bridged subnet and reach the controller; subnet-egress cuts only them', async () => {
    const ports = await ranIn(RTR_NETNS, 'ip', ['-j', 'link', 'show', 'master', routerIface(SHARED_SUBNET)]);
    assert.deepEqual((JSON.parse(ports.stdout) as { ifname: string }[]).map((l) => l.ifname).sort(), [bridgePortIface(SHARED_SUBNET, 2), bridgePortIface(SHARED_SUBNET, 3)]);
    for (const web of ['web1', 'web2']) assert.equal(await connectFrom(nodeNetns(web), CTL_ADDRESS, 63001), 'connected', web);

    assert.equal(await setFault('subnet-egress', true), true);
    assert.equal(await setFault('subnet-egress', true), false, 'already on');
    assert.deepEqual((await labStatus()).faults, ['subnet-egress']);
    const during = await Promise.all(['web1', 'web2', 'healthy'].map((n) => connectFrom(nodeNetns(n), CTL_ADDRESS, 63001, 1_000)));
    assert.deepEqual(during, ['timeout', 'timeout', 'connected']);
    assert.equal(await connectFrom(nodeNetns('web1'), CTL_ADDRESS, 443), 'connected', 'only the callback ports');

    assert.equal(await setFault('subnet-egress', false), true);
    assert.deepEqual((await labStatus()).faults, []);
    for (const web of ['web1', 'web2']) assert.equal(await connectFrom(nodeNetns(web), CTL_ADDRESS, 63001), 'connected', web);
  });

  await t.test('the guard route: from the root namespace the lab block is unreachable (ip route get sends nothing)', async () => {
    const r = await ipRoot(['route', 'get', '10.231.250.250']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No route to host/);
    assert.equal(await guardRoutePresent(), true);
  });

  await t.test('up again keeps the lab, but turns off a lab-wide fault a dead run left on', async () => {
    assert.equal(await setFault('controller-ingress', true), true);
    const lines: string[] = [];
    const again = await labUp({ log: (l) => lines.push(l) });
    assert.equal(again.action, 'already-up');
    assert.deepEqual(again.clearedFaults, ['controller-ingress']);
    assert.match(lines.join('\n'), /already up .*turned off the lab-wide fault\(s\) left on: controller-ingress/);
    const status = await labStatus();
    assert.equal(status.up, true);
    assert.deepEqual(status.faults, []);
    assert.equal(await connectFrom(nodeNetns('healthy'), CTL_ADDRESS, 63001), 'connected', 'the fault is really gone');
    assert.deepEqual((await labUp()).clearedFaults, [], 'nothing to clear the next time');
  });

  const sshdPids = (await labStatus()).nodes.flatMap((n) => (n.sshd?.pid === undefined ? [] : [n.sshd.pid]));
  assert.equal(sshdPids.length, LAB_SCENARIOS.filter(hasSshd).length);

  await t.test('down leaves nothing, also with a process in twl-ctl that ignores SIGTERM', async () => {
    for (const l of listeners) stopListener(l);
    const stubborn = startStubbornProcess(CTL_NETNS);
    // Bounded: the process is in the namespace once `ip netns exec` has exec'd the shell.
    for (let i = 0; i < 100 && !processesInNetns(labNetnsInodes([CTL_NETNS])).includes(stubborn.pid ?? -1); i++) await sleep(20);
    const inodes = labNetnsInodes(await labNamespaces());
    assert.ok(processesInNetns(inodes).includes(stubborn.pid ?? -1), 'the stubborn process is inside twl-ctl');
    const down = await labDown();
    assert.ok(down.removed.includes(CTL_NETNS));
    assert.ok(down.removed.some((r) => /^\d+ process\(es\) in twl-ctl$/.test(r)), down.removed.join(', '));
    assert.equal(await exited(stubborn, 5_000), true, 'the stubborn process was ended');
    assert.equal(stubborn.signalCode, 'SIGKILL');
    for (const pid of sshdPids) assert.equal(pidAlive(pid), false, `sshd ${pid} is gone`);
    await assertNothingLeft(paths.stateDir, inodes);
    assert.deepEqual((await labDown()).removed, [], 'a second down finds nothing');
  });
});

test('one lock for every state directory: a lab operation in another process waits while this one holds it for another TWOWAY_LAB_DIR', { timeout: 60_000 }, async () => {
  const other = labPaths({ TWOWAY_LAB_DIR: '/tmp/twoway-lab-other' });
  assert.equal(other.lockFile, labPaths().lockFile);
  let child: ChildProcess | undefined;
  let stderr = '';
  await withLock(other, 1_000, async () => {
    assert.equal(readFileSync(LAB_LOCK_FILE, 'utf8').trim(), String(process.pid));
    await assert.rejects(setFault('controller-ingress', true), new RegExp(`lab lock ${LAB_LOCK_FILE.replace(/\./g, '\\.')} is already held by this process`));
    // `lab down` for the default directory: with the lab down it finds nothing, once it has the lock.
    const env = { ...process.env };
    delete env.TWOWAY_LAB_DIR;
    child = spawn(process.execPath, [BIN, 'lab', 'down'], { stdio: ['ignore', 'ignore', 'pipe'], env });
    child.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
    assert.equal(await exited(child, 2_000), false, `the other process waits while the lock is held: ${stderr}`);
  });
  assert.equal(existsSync(LAB_LOCK_FILE), false, 'released');
  assert.ok(child !== undefined);
  assert.equal(await exited(child, 30_000), true, 'the other process finishes once the lock is released');
  assert.equal(child.exitCode, 0, stderr);
  assert.match(stderr, /^lab: nothing to remove$/m);
});

test('the lab lock: a file root did not make is replaced, and an owner that is gone or a zombie is taken over; a live one is waited for', { timeout: 30_000 }, async (t) => {
  assert.equal(existsSync(LAB_LOCK_FILE), false, 'no lab operation holds the lock');
  t.after(() => rmSync(LAB_LOCK_FILE, { force: true }));
  const paths = labPaths();
  const takenBy = async (): Promise<string> => withLock(paths, 1_000, async () => readFileSync(LAB_LOCK_FILE, 'utf8').trim());

  // What any user could once make in /run/lock: a lock naming a live PID (init's).
  writeFileSync(LAB_LOCK_FILE, '1\n');
  chownSync(LAB_LOCK_FILE, 65534, 65534);
  assert.equal(await takenBy(), String(process.pid), 'a lock file owned by nobody is replaced at once');

  writeFileSync(LAB_LOCK_FILE, '1\n');
  await assert.rejects(withLock(paths, 500, async () => undefined), /another lab operation \(PID 1\) holds/, 'root\'s lock with a live owner is waited for');

  const gone = spawnSync('true').pid;
  writeFileSync(LAB_LOCK_FILE, `${gone}\n`);
  assert.equal(await takenBy(), String(process.pid), 'the lock of a process that is gone is taken over');

  // A zombie: a short sleep in the background of a shell that has become a long sleep, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => parent.kill('SIGKILL'));
  let out = '';
  parent.stdout?.on('data', (d: Buffer) => (out += String(d)));
  const procState = (pid: number): string | undefined => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    } catch {
      return undefined;
    }
  };
  // Bounded: the background sleep ends after 0.2 s.
  for (let i = 0; i < 100 && !(/^\d+\n/.test(out) && procState(Number(out)) === 'Z'); i++) await sleep(20);
  const zombie = Number(out);
  assert.equal(procState(zombie), 'Z', `PID ${zombie} is a zombie`);
  writeFileSync(LAB_LOCK_FILE, `${zombie}\n`);
  assert.equal(await takenBy(), String(process.pid), 'a zombie owner counts as gone');
  assert.equal(existsSync(LAB_LOCK_FILE), false, 'released');
});

test('ending processes: a PID is signalled only while it has the start time and namespace it was listed with', { timeout: 30_000 }, async (t) => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  const id = child.pid === undefined ? undefined : identify(child.pid, true);
  assert.ok(id !== undefined && id.netns !== undefined);
  // As if the listed process had gone and its PID were reused by this one.
  assert.deepEqual(await endProcesses([{ ...id, startTime: String(Number(id.startTime) - 1) }], 200), []);
  assert.deepEqual(await endProcesses([{ ...id, netns: id.netns + 1 }], 200), []);
  assert.equal(await exited(child, 500), false, 'a process that is not the listed one is not signalled');
  assert.deepEqual(await endProcesses([id], 2_000), []);
  assert.equal(await exited(child, 2_000), true);
  assert.equal(child.signalCode, 'SIGTERM', 'the listed process got SIGTERM');
});

test('overlap refusal: up refuses a block the machine already routes, and builds nothing', { timeout: 60_000 }, async (t) => {
  t.after(() => labDown());
  await labDown();
  const routes = async () => [
    { dst: 'default', dev: 'eth0' },
    { dst: '10.231.7.0/24', dev: 'eth9' },
  ];
  await assert.rejects(labUp({ routes }), /the lab uses 10\.231\.0\.0\/16, but this machine already routes part of it \(unicast 10\.231\.7\.0\/24 dev eth9\); refusing/);
  await assertNothingLeft(labPaths().stateDir, new Set());
});

test('crash recovery: a partial lab is rebuilt by up; down without the state directory removes everything', { timeout: 120_000 }, async (t) => {
  t.after(() => labDown());
  await labDown();
  const paths = labPaths();

  await t.test('only twl-ctl and twl-rtr (a crash early in up): up rebuilds', async () => {
    for (const ns of [CTL_NETNS, RTR_NETNS]) assert.equal((await ipRoot(['netns', 'add', ns])).code, 0, ns);
    const before = await labStatus();
    assert.equal(before.present, true);
    assert.equal(before.up, false);
    const up = await labUp();
    assert.equal(up.action, 'built');
    assert.equal((await labStatus()).up, true);
  });

  await t.test('one sshd died: the lab is not up, and up rebuilds it', async () => {
    const victim = (await labStatus()).nodes.find((n) => n.name === 'healthy')?.sshd?.pid;
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    for (let i = 0; i < 100 && pidAlive(victim); i++) await sleep(20);
    const before = await labStatus();
    assert.equal(before.up, false);
    assert.equal(before.nodes.find((n) => n.name === 'healthy')?.sshd?.alive, false);
    assert.equal((await labUp()).action, 'built');
    const after = await labStatus();
    assert.equal(after.up, true);
    assert.notEqual(after.nodes.find((n) => n.name === 'healthy')?.sshd?.pid, victim);
  });

  await t.test('state directory deleted: down still finds and ends every sshd, and removes everything', async () => {
    const sshdPids = (await labStatus()).nodes.flatMap((n) => (n.sshd?.pid === undefined ? [] : [n.sshd.pid]));
    assert.equal(sshdPids.length, LAB_SCENARIOS.filter(hasSshd).length);
    const inodes = labNetnsInodes(await labNamespaces());
    rmSync(paths.stateDir, { recursive: true, force: true });
    const status = await labStatus();
    assert.equal(status.up, false);
    assert.equal(status.present, true);
    await labDown();
    for (const pid of sshdPids) assert.equal(pidAlive(pid), false, `sshd ${pid} is gone`);
    await assertNothingLeft(paths.stateDir, inodes);
  });
});
