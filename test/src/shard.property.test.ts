/** `--shard I/N`: every node in exactly one shard, by its name alone, in shards of near-equal size. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../../src/errors.js';
import { MAX_SHARDS, nodesInShard, parseShard, shardOf } from '../../src/shard.js';
import { check } from '../helpers/property.js';

const names = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 24 }), { minLength: 0, maxLength: 60 });
const counts = fc.integer({ min: 1, max: 40 });
const asNodes = (list: readonly string[]): { name: string }[] => list.map((name) => ({ name }));

test('shard: every node is in exactly one of the N shards, and each shard keeps the inventory order', () => {
  check(
    fc.property(names, counts, (list, count) => {
      const nodes = asNodes(list);
      const shards = Array.from({ length: count }, (_, i) => nodesInShard(nodes, { index: i + 1, count }).map((n) => n.name));
      assert.deepEqual(shards.flat().sort(), [...list].sort(), 'the union is the inventory, nothing twice');
      for (const shard of shards) assert.deepEqual(shard, list.filter((name) => shard.includes(name)), 'in inventory order');
      for (const name of list) {
        const s = shardOf(name, count);
        assert.ok(Number.isInteger(s) && s >= 1 && s <= count, `${JSON.stringify(name)} -> ${s} of ${count}`);
      }
    }),
  );
});

test('shard: a node\'s shard does not depend on the order of the list or on the other nodes', () => {
  check(
    fc.property(names, counts, fc.string({ minLength: 1, maxLength: 24 }), (list, count, added) => {
      fc.pre(!list.includes(added));
      for (let index = 1; index <= count; index += 1) {
        const shard = { index, count };
        const before = nodesInShard(asNodes(list), shard).map((n) => n.name);
        const reversed = nodesInShard(asNodes([...list].reverse()), shard).map((n) => n.name);
        const grown = nodesInShard(asNodes([...list, added]), shard).map((n) => n.name);
        assert.deepEqual(reversed.reverse(), before, 'reordering moves no node');
        assert.deepEqual(grown.filter((n) => n !== added), before, 'adding a node moves no other node');
      }
    }),
  );
});

test('shard: going from N to N+1 shards moves nodes only into the new shard', () => {
  check(
    fc.property(names, counts, (list, count) => {
      for (const name of list) {
        const now = shardOf(name, count);
        const grown = shardOf(name, count + 1);
        assert.ok(grown === now || grown === count + 1, `${JSON.stringify(name)}: ${now}/${count} became ${grown}/${count + 1}`);
      }
    }),
  );
});

test('shard: 1000 node names split into 2..16 shards of near-equal size (each within 30% of the mean)', () => {
  const fleet = Array.from({ length: 1000 }, (_, i) => `node-${String(i + 1).padStart(4, '0')}.dc${i % 3}.example`);
  for (let count = 2; count <= 16; count += 1) {
    const sizes = Array.from({ length: count }, (_, i) => nodesInShard(asNodes(fleet), { index: i + 1, count }).length);
    const mean = fleet.length / count;
    for (const size of sizes) assert.ok(Math.abs(size - mean) <= 0.3 * mean, `${count} shards: sizes ${sizes.join(', ')}`);
  }
});

test('shard: --shard takes I/N with 1 <= I <= N; anything else is a usage error naming the flag', () => {
  assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
  assert.deepEqual(parseShard(' 1 / 1 '), { index: 1, count: 1 });
  assert.deepEqual(parseShard(`${MAX_SHARDS}/${MAX_SHARDS}`), { index: MAX_SHARDS, count: MAX_SHARDS });
  for (const bad of ['0/3', '4/3', '3', '1/0', '/2', '1/2/3', 'a/b', '-1/2', '1.5/2', '', `1/${MAX_SHARDS + 1}`]) {
    assert.throws(() => parseShard(bad), (err: unknown) => err instanceof InputError && err.field === '--shard' && err.message.includes(`got "${bad}"`), bad);
  }
});
