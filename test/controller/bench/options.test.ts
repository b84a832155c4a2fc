/** The bench's flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchArgs } from '../../../controller/bench/options.js';

test('defaults: 50 nodes, 3 runs of each mode, concurrency 16, results in bench-results, the lab torn down', () => {
  assert.deepEqual(parseBenchArgs([]), { nodes: 50, reps: 3, concurrency: 16, out: 'bench-results', keepLab: false });
});

test('each flag is taken, in either form commander users expect', () => {
  assert.deepEqual(parseBenchArgs(['--nodes', '200', '--reps=5', '--concurrency', '32', '--out', '/tmp/b', '--keep-lab']), {
    nodes: 200,
    reps: 5,
    concurrency: 32,
    out: '/tmp/b',
    keepLab: true,
  });
  assert.equal(parseBenchArgs(['-h']), 'help');
});

test('out-of-range and unknown flags are refused, naming the flag', () => {
  assert.throws(() => parseBenchArgs(['--nodes', '1001']), /--nodes.*from 1 to 1000, got "1001"/);
  assert.throws(() => parseBenchArgs(['--nodes', '0']), /--nodes/);
  assert.throws(() => parseBenchArgs(['--reps', 'x']), /--reps.*got "x"/);
  assert.throws(() => parseBenchArgs(['--concurrency', '0']), /--concurrency/);
  assert.throws(() => parseBenchArgs(['--fast']), /--fast/);
  assert.throws(() => parseBenchArgs(['--out', '']), /--out/);
});
