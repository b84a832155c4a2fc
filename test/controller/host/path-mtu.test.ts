/** The controller's path MTU measurement where it cannot run ping: not measured, with why and how by hand. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fromNode, measurePathMtu, pingArgs } from '../../../controller/host/path-mtu.js';

test('path MTU: the echo sizes are the packet size less 28 (IPv4) or 48 (IPv6) bytes of headers, DF set, one echo, one second', () => {
  assert.deepEqual(pingArgs('10.9.1.2', 1400), ['-n', '-M', 'do', '-s', '1372', '-c', '1', '-W', '1', '10.9.1.2']);
  assert.deepEqual(pingArgs('fd00::2', 1400), ['-6', '-n', '-M', 'do', '-s', '1352', '-c', '1', '-W', '1', 'fd00::2']);
});

test('path MTU: without ping on the controller it is not measured, says why, and no figure is given', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'twoway-noping-'));
  const saved = process.env.PATH;
  process.env.PATH = empty;
  try {
    const m = await measurePathMtu('127.0.0.1');
    assert.equal(m.measured, false);
    assert.equal(m.mtu, undefined);
    assert.match(m.reason ?? '', /ping \(iputils-ping\) is not installed on the controller/);
    assert.equal(m.from, 'controller');
    assert.match(m.command, /^ping -n -M do -s 1472 -c 1 -W 1 127\.0\.0\.1$/);
  } finally {
    process.env.PATH = saved;
    rmSync(empty, { recursive: true, force: true });
  }
});

test('path MTU: without an agent pathmtu line the node side is not measured, with why and the command to run there toward the controller', () => {
  const m = fromNode('10.9.0.1', [{ t: 'pathmtu', to: '10.9.0.2', measured: true, mtu: 1400, interfaceMtu: 1500, probes: [], command: 'ping' }]);
  assert.deepEqual([m.from, m.to, m.measured, m.mtu], ['node', '10.9.0.1', false, undefined]);
  assert.match(m.reason ?? '', /does not bisect the path MTU from the node/);
  assert.equal(m.command, 'ping -n -M do -s 1472 -c 1 -W 1 10.9.0.1');
});

test('path MTU: the node side is the agent pathmtu line toward that controller address, as measured from the node', () => {
  const line = { t: 'pathmtu' as const, to: '10.9.0.1', measured: true, mtu: 1337, interfaceMtu: 1500, probes: [{ size: 576, ok: true }], command: 'ping -n -M do -s 1472 -c 1 -W 1 10.9.0.1' };
  const m = fromNode('10.9.0.1', [line]);
  assert.deepEqual(m, { from: 'node', to: '10.9.0.1', measured: true, mtu: 1337, interfaceMtu: 1500, probes: [{ size: 576, ok: true }], command: line.command });
});
