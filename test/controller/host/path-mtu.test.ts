/** The controller's path MTU measurement where it cannot run ping: not measured, with why and how by hand. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { measurePathMtu, notMeasuredFromNode, pingArgs } from '../../../controller/host/path-mtu.js';

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

test('path MTU: the node side is said to be not measured, with the command to run there toward the controller', () => {
  const m = notMeasuredFromNode('10.9.0.1');
  assert.deepEqual([m.from, m.to, m.measured, m.mtu], ['node', '10.9.0.1', false, undefined]);
  assert.match(m.reason ?? '', /the agents do not bisect the path MTU from the node yet/);
  assert.equal(m.command, 'ping -n -M do -s 1472 -c 1 -W 1 10.9.0.1');
});
