import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB_PARAM_RANGES, drawLabParams, labIdleHoldSeconds, mulberry32, parseSeed } from '../../../controller/lab/params.js';
import { labScenarios } from '../../../controller/lab/scenarios.js';
import { expectedFor } from '../../../controller/lab/expectations.js';

test('mulberry32: the same seed gives the same sequence, another seed another one', () => {
  const take = (seed: number): number[] => {
    const next = mulberry32(seed);
    return Array.from({ length: 5 }, () => next());
  };
  assert.deepEqual(take(42), take(42));
  assert.notDeepEqual(take(42), take(43));
  for (const x of take(1)) assert.ok(x >= 0 && x < 1, String(x));
});

test('drawLabParams: deterministic per seed, every value inside its range, and the seeds really vary them', () => {
  assert.deepEqual(drawLabParams(12345), drawLabParams(12345));
  const r = LAB_PARAM_RANGES;
  const drawn = Array.from({ length: 200 }, (_, i) => drawLabParams(i * 7919));
  for (const p of drawn) {
    assert.ok(p.mtu >= r.mtu.min && p.mtu <= r.mtu.max, `mtu ${p.mtu}`);
    assert.ok(p.latencyMs >= r.latencyMs.min && p.latencyMs <= r.latencyMs.max, `latency ${p.latencyMs}`);
    assert.ok(p.lossPct * 10 >= r.lossPermille.min && p.lossPct * 10 <= r.lossPermille.max, `loss ${p.lossPct}`);
    assert.ok(p.rateMbit >= r.rateMbit.min && p.rateMbit <= r.rateMbit.max, `rate ${p.rateMbit}`);
    assert.ok(p.idleTimeoutS >= r.idleTimeoutS.min && p.idleTimeoutS <= r.idleTimeoutS.max, `idle ${p.idleTimeoutS}`);
  }
  // Wide enough that no single value of the tool's can pass by accident: many distinct draws.
  assert.ok(new Set(drawn.map((p) => p.mtu)).size > 50);
  assert.ok(new Set(drawn.map((p) => p.idleTimeoutS)).size === r.idleTimeoutS.max - r.idleTimeoutS.min + 1);
  assert.throws(() => drawLabParams(-1), /seed/);
  assert.throws(() => drawLabParams(2 ** 32), /seed/);
});

test('parseSeed: whole numbers in range only', () => {
  assert.equal(parseSeed('0', '--seed'), 0);
  assert.equal(parseSeed('4294967295', '--seed'), 4294967295);
  for (const bad of ['', ' ', '-1', '1.5', 'abc', '4294967296']) assert.throws(() => parseSeed(bad, '--seed'), /--seed must be/, bad);
});

test('labScenarios: the fault values and expectations follow the drawn parameters', () => {
  for (const seed of [1, 2, 3]) {
    const p = drawLabParams(seed);
    const s = labScenarios(p);
    const get = (name: string) => s.find((x) => x.node === name) ?? assert.fail(name);
    assert.equal(get('mtu').links[0]?.routerMtu, p.mtu);
    assert.match(get('mtu').mechanism, new RegExp(`MTU ${p.mtu} `));
    assert.deepEqual(get('slow').links[0]?.routerQdisc?.slice(0, 3), ['tbf', 'rate', `${p.rateMbit}mbit`]);
    const lossy = get('lossy');
    assert.equal(lossy.links[0]?.delayMs, p.latencyMs);
    assert.match(lossy.routerNft?.forward?.[0] ?? '', new RegExp(`numgen random mod 1000 < ${Math.round(p.lossPct * 10)} drop$`));
    const idle = get('idle');
    assert.deepEqual(idle.routerNft?.ctTimeouts?.idle_callbacks?.policy, { established: p.idleTimeoutS });
    // The demo's and the tests' hold outlasts the drawn timeout, so the idle node is cut; no hold: ok.
    assert.equal(expectedFor(idle, { idleHoldMs: labIdleHoldSeconds(p) * 1000 }).node, 'idle-cut');
    assert.equal(expectedFor(idle, { idleHoldMs: 0 }).node, 'ok');
  }
});
