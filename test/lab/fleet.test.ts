/**
 * The lab fleet on this machine's kernel: generated nodes that each answer SSH on 22 and refuse 443
 * (sshd on 22 only, like a real server), a fleet node whose own firewall drops the callback ports,
 * the fleet in status and in both inventories, a fleet-only lab from the CLI, and nothing left after
 * down. Needs root, like every lab test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LAB_SCENARIOS, labDown, labStatus, labUp } from '../../controller/lab/index.js';
import { CTL_ADDRESS, CTL_NETNS, nodeNetns } from '../../controller/lab/plan.js';
import { fleetScenarios } from '../../controller/lab/fleet.js';
import { scenarioAddresses } from '../../controller/lab/scenarios-model.js';
import { listLabNetns } from '../../controller/lab/topology.js';
import { isLive } from '../../controller/lab/processes.js';
import { labEnv } from '../../controller/lab/run.js';

const BIN = fileURLToPath(new URL('../../../bin/twoway.js', import.meta.url));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function ranIn(netns: string, command: string, args: string[], timeoutMs = 20_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', netns, command, ...args], { timeout: timeoutMs, env: labEnv(), encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

/** A TCP connect made by Node inside a namespace: connected, timeout, or the error code. */
const CONNECT = `
const [host, port, ms] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: Number(port), timeout: Number(ms) });
s.on('connect', () => { console.log('connected'); s.destroy(); });
s.on('timeout', () => { console.log('timeout'); s.destroy(); });
s.on('error', (e) => console.log(e.code));
`;

async function connectFrom(netns: string, host: string, port: number, timeoutMs = 1_500): Promise<string> {
  return (await ranIn(netns, process.execPath, ['-e', CONNECT, host, String(port), String(timeoutMs)])).stdout.trim();
}

function twoway(args: string[], timeoutMs = 120_000): Promise<Ran> {
  const env = { ...process.env };
  delete env.TWOWAY_LAB_DIR;
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function inventoryNodes(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^ {2}- name: (\S+)$/gm)].map((m) => m[1]!);
}

test('a fleet beside the scenarios: SSH on 22 only, callbacks dropped on the dropped node, in status and inventories, gone after down', { timeout: 240_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'the lab test runs as root');
  t.after(() => labDown());
  await labDown();
  const fleet = fleetScenarios({ nodes: 5, dropped: 1 });
  const up = await labUp({ fleet: { nodes: 5, dropped: 1 } });
  assert.equal(up.action, 'built');

  for (const s of fleet) {
    const [address] = scenarioAddresses(s);
    const ssh = await ranIn(CTL_NETNS, 'ssh', ['-F', up.paths.sshConfig, `root@${address}`, 'true']);
    assert.equal(ssh.code, 0, `${s.node}: ${ssh.stderr}`);
    assert.equal(await connectFrom(CTL_NETNS, address!, 22), 'connected', `${s.node} port 22`);
    assert.equal(await connectFrom(CTL_NETNS, address!, 443), 'ECONNREFUSED', `${s.node} port 443: nothing listens there`);
  }
  // The static scenarios' healthy node is a real server too: SSH only.
  assert.equal(await connectFrom(CTL_NETNS, '10.231.1.2', 443), 'ECONNREFUSED');

  // Only the dropped node's own firewall drops new connections to the callback ports; nothing listens
  // on the controller side now, so a connection that gets there is refused.
  const dropped = fleet.find((s) => s.node === 'fleet-dropped-1')!;
  assert.equal(await connectFrom(nodeNetns(dropped.node), CTL_ADDRESS, 63001), 'timeout');
  assert.equal(await connectFrom(nodeNetns(dropped.node), CTL_ADDRESS, 63002), 'timeout');
  assert.equal(await connectFrom(nodeNetns(dropped.node), CTL_ADDRESS, 443), 'ECONNREFUSED');
  assert.equal(await connectFrom(nodeNetns('fleet-001'), CTL_ADDRESS, 63001), 'ECONNREFUSED');

  const status = await labStatus();
  assert.equal(status.up, true);
  assert.deepEqual(status.fleet, { nodes: 5, dropped: 1, inventory: up.paths.fleetInventory });
  assert.deepEqual(status.nodes.map((n) => n.name), [...LAB_SCENARIOS.map((s) => s.node), ...fleet.map((s) => s.node)]);
  const fleetStatus = status.nodes.filter((n) => n.name.startsWith('fleet-'));
  assert.ok(fleetStatus.every((n) => n.netnsPresent && n.sshd?.alive === true), JSON.stringify(fleetStatus));
  assert.deepEqual(inventoryNodes(up.paths.inventory), [...LAB_SCENARIOS.map((s) => s.node), ...fleet.map((s) => s.node)]);
  assert.deepEqual(inventoryNodes(up.paths.fleetInventory), fleet.map((s) => s.node));

  const sshdPids = fleetStatus.map((n) => n.sshd?.pid ?? 0);
  const down = await labDown();
  assert.ok(fleet.every((s) => down.removed.includes(nodeNetns(s.node))), down.removed.join(', '));
  assert.deepEqual(await listLabNetns(), []);
  assert.deepEqual(sshdPids.filter(isLive), [], 'every fleet sshd is gone');
  assert.equal(existsSync(up.paths.fleetInventory), false);
});

test('twoway lab up --fleet N --only-fleet: the fleet alone; up with other nodes rebuilds, the same ones are kept; down', { timeout: 180_000 }, async (t) => {
  assert.equal(process.getuid?.(), 0, 'the lab test runs as root');
  t.after(() => labDown());
  await labDown();

  const up = await twoway(['lab', 'up', '--fleet', '3', '--only-fleet']);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /^lab: fleet inventory \(3 nodes\): \/var\/lib\/twoway-lab\/fleet\.yaml$/m);
  const status = await twoway(['lab', 'status']);
  assert.equal(status.code, 0, status.stdout);
  assert.match(status.stdout, /^fleet: 3 healthy, 0 with dropped callbacks; inventory: \/var\/lib\/twoway-lab\/fleet\.yaml$/m);
  assert.match(status.stdout, /^namespaces: twl-ctl 3 fleet namespaces \(twl-fleet-001 \.\.\.\) twl-rtr$/m);
  assert.deepEqual(
    status.stdout.split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0]),
    ['fleet-001', 'fleet-002', 'fleet-003'],
  );

  const other = await twoway(['lab', 'up', '--fleet', '2', '--fleet-dropped', '1', '--only-fleet']);
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stderr, /^lab: the lab is up with other nodes \(3\); removing it to build 3 nodes with seed \d+$/m);
  const same = await twoway(['lab', 'up', '--fleet', '2', '--fleet-dropped', '1', '--only-fleet']);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stderr, /^lab: lab is already up /m);
  assert.deepEqual(inventoryNodes('/var/lib/twoway-lab/fleet.yaml'), ['fleet-001', 'fleet-002', 'fleet-dropped-1']);

  const down = await twoway(['lab', 'down']);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stderr, /^lab: removed: sshd \d+, sshd \d+, sshd \d+, twl-ctl, 3 fleet namespaces \(twl-fleet-001 \.\.\.\), twl-rtr, route unreachable 10\.231\.0\.0\/16, \/var\/lib\/twoway-lab$/m);
  const after = await twoway(['lab', 'status']);
  assert.equal(after.code, 3);
  assert.match(after.stdout, /^namespaces: none$/m);
});
