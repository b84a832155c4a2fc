/** The path MTU bisection over a fake "does a packet of this size cross the path" oracle. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bisectPathMtu } from '../../src/mtu-bisect.js';

/** A path that carries packets up to `mtu` bytes; counts what was asked. */
function pathOf(mtu: number): { passes: (size: number) => Promise<boolean>; asked: number[] } {
  const asked: number[] = [];
  return { asked, passes: async (size) => (asked.push(size), size <= mtu) };
}

const IPV4 = { floor: 576, ceiling: 1500, maxProbes: 12 };

test('mtu bisection: finds every path MTU between the floor and the interface MTU exactly, within 12 echoes', async () => {
  for (const mtu of [576, 577, 1000, 1280, 1399, 1400, 1450, 1499]) {
    const path = pathOf(mtu);
    const result = await bisectPathMtu(path.passes, IPV4);
    assert.deepEqual(result.kind === 'exact' ? result.mtu : result, mtu, `path MTU ${mtu}`);
    assert.ok(path.asked.length <= 12, `${path.asked.length} echoes for ${mtu}`);
    assert.deepEqual(result.probes.map((p) => p.size), path.asked, 'every echo is recorded, in order');
    assert.deepEqual(result.probes.map((p) => p.ok), path.asked.map((s) => s <= mtu));
  }
});

test('mtu bisection: a path that carries the full interface MTU takes two echoes (floor, then full size)', async () => {
  const path = pathOf(9000);
  const result = await bisectPathMtu(path.passes, IPV4);
  assert.deepEqual(result, { kind: 'exact', mtu: 1500, probes: [{ size: 576, ok: true }, { size: 1500, ok: true }] });
});

test('mtu bisection: nothing answered at all is no answer after one echo, never a figure', async () => {
  const path = pathOf(0);
  const result = await bisectPathMtu(path.passes, IPV4);
  assert.deepEqual(result, { kind: 'no-answer', probes: [{ size: 576, ok: false }] });
});

test('mtu bisection: when the echoes run out first it gives the range, not a guess', async () => {
  const path = pathOf(4321);
  const result = await bisectPathMtu(path.passes, { floor: 576, ceiling: 9000, maxProbes: 12 });
  assert.equal(path.asked.length, 12);
  assert.equal(result.kind, 'range');
  if (result.kind !== 'range') return;
  assert.ok(result.atLeast <= 4321 && 4321 < result.below, `${result.atLeast}..${result.below}`);
  assert.ok(result.below - result.atLeast > 1);
});

test('mtu bisection: a budget of one echo says only whether the floor passes', async () => {
  assert.deepEqual(await bisectPathMtu(pathOf(1400).passes, { ...IPV4, maxProbes: 1 }), { kind: 'range', atLeast: 576, below: 1501, probes: [{ size: 576, ok: true }] });
});
