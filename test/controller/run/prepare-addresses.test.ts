/** Callback addresses come from this host's routes to each of a node's addresses (no traffic sent). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareAddresses } from '../../../controller/run/node-setup.js';
import type { RunOptions } from '../../../controller/run/run.js';
import type { NodeSpec } from '../../../src/inventory/types.js';

function node(name: string, addresses: string[], from = { file: 'inv.yaml', line: 7 }): NodeSpec {
  return { name, addresses, profile: 'linux', from };
}

const optionsFor = (nodes: NodeSpec[], callbackAddresses: string[] = []): RunOptions => ({ nodes, callbackAddresses }) as unknown as RunOptions;

test('prepareAddresses: a dual-homed node gets the source of the route to each of its addresses', async () => {
  // 127.0.0.2 is reached from 127.0.0.1 and ::1 from itself: two distinct controller-side sources.
  const [dual] = await prepareAddresses(optionsFor([node('dual', ['127.0.0.2', '::1'])]));
  assert.deepEqual(dual!.addresses, ['127.0.0.2', '::1']);
  assert.deepEqual(dual!.callbackAddresses, ['127.0.0.1', '::1']);
});

test('prepareAddresses: two addresses reached from one source call back to it once', async () => {
  const [n] = await prepareAddresses(optionsFor([node('n', ['127.0.0.2', '127.0.0.3'])]));
  assert.deepEqual(n!.callbackAddresses, ['127.0.0.1']);
});

test('prepareAddresses: --callback-address wins over the routes', async () => {
  const [n] = await prepareAddresses(optionsFor([node('n', ['127.0.0.2'])], ['127.0.0.9']));
  assert.deepEqual(n!.callbackAddresses, ['127.0.0.9']);
});

// A UDP connect to the broadcast address sends nothing and yields no source address (0.0.0.0):
// nothing a node could call back to, the stand-in for an address this host has no route to.
const UNROUTABLE = '255.255.255.255';

test('prepareAddresses: an address with no route is left to the probes when another address has one', async () => {
  const [n] = await prepareAddresses(optionsFor([node('n', ['127.0.0.2', UNROUTABLE])]));
  assert.deepEqual(n!.callbackAddresses, ['127.0.0.1']);
});

test('prepareAddresses: no route to any address names the node and where it was defined', async () => {
  await assert.rejects(prepareAddresses(optionsFor([node('bad', [UNROUTABLE])])), /^SetupError: node "bad" \(inv\.yaml:7\): no route from this controller to 255\.255\.255\.255 .*; give --callback-address$/);
  await assert.rejects(prepareAddresses(optionsFor([node('flag', [UNROUTABLE], { file: '--node', line: 0 })])), /node "flag" \(--node\): no route/);
});
