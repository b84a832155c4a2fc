/**
 * Properties of --limit: any pattern gives a non-empty selection of the nodes, in inventory order,
 * or an InputError under --limit, never another exception; a name selects what it names, "," joins,
 * "!" removes and "&" intersects, as Ansible's patterns do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../../../src/errors.js';
import { applyLimit } from '../../../src/inventory/limit.js';
import type { NodeSpec } from '../../../src/inventory/types.js';
import { check } from '../../helpers/property.js';

const GROUPS = ['web', 'db', 'dc1', 'dc2', 'edge'];
const name = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), fc.constantFrom('fd00::5', 'web2:2201', '10.0.0.1', 'web', 'all'));
const nodes = fc.uniqueArray(
  fc.record({ name, groups: fc.subarray(GROUPS) }).map(({ name, groups }): NodeSpec => ({ name, addresses: [name], profile: 'linux', ...(groups.length === 0 ? {} : { groups }), from: { file: 'inv', line: 1 } })),
  { minLength: 1, maxLength: 10, selector: (n) => n.name },
);

/** What a single term selects, by the documented rules (plain names and groups only). */
function named(all: readonly NodeSpec[], term: string): Set<string> {
  return new Set(all.filter((n) => term === 'all' || n.name === term || (n.groups ?? []).includes(term)).map((n) => n.name));
}

/** Runs applyLimit; an InputError under --limit is an answer too (a term that matches nothing, or nothing left). */
function limit(all: readonly NodeSpec[], pattern: string): string[] | InputError {
  try {
    const kept = applyLimit(all, pattern);
    assert.ok(kept.length > 0);
    assert.deepStrictEqual(kept, all.filter((n) => kept.includes(n)), 'a selection in inventory order');
    return kept.map((n) => n.name);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    assert.equal(err.field, '--limit', err.message);
    return err;
  }
}

const term = (all: readonly NodeSpec[]) => fc.oneof(fc.constantFrom(...all.map((n) => n.name)), fc.constantFrom(...GROUPS));

describe('--limit properties', () => {
  it('any pattern: a selection or an InputError under --limit', () => {
    const pieces = fc.constantFrom('web', 'db', '*', '?', '~', '~(', '~[', '~^w', '!', '&', ',', ':', 'all', 'x', '\\', '.*', '(', ' ', '');
    const pattern = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.array(pieces, { maxLength: 8 }).map((p) => p.join('')));
    check(fc.property(nodes, pattern, (all, p) => void limit(all, p)));
  });

  it('a name or group selects exactly what it names', () => {
    check(
      fc.property(nodes.chain((all) => fc.tuple(fc.constant(all), term(all))), ([all, t]) => {
        const expected = named(all, t);
        const got = limit(all, t);
        if (expected.size === 0) assert.ok(got instanceof InputError && got.message.includes('matches no node or group'));
        else assert.deepStrictEqual(got, all.filter((n) => expected.has(n.name)).map((n) => n.name));
      }),
    );
  });

  it('"," joins, "!" removes, "&" intersects', () => {
    check(
      fc.property(nodes.chain((all) => fc.tuple(fc.constant(all), term(all), term(all))), ([all, a, b]) => {
        const [inA, inB] = [named(all, a), named(all, b)];
        if (inA.size === 0 || inB.size === 0) return;
        const cases: [string, (n: string) => boolean][] = [
          [`${a},${b}`, (n) => inA.has(n) || inB.has(n)],
          [`${a},!${b}`, (n) => inA.has(n) && !inB.has(n)],
          [`${a},&${b}`, (n) => inA.has(n) && inB.has(n)],
        ];
        for (const [pattern, keeps] of cases) {
          const expected = all.filter((n) => keeps(n.name)).map((n) => n.name);
          const got = limit(all, pattern);
          if (expected.length === 0) assert.ok(got instanceof InputError && got.message.includes('leaves no node'), pattern);
          else assert.deepStrictEqual(got, expected, pattern);
        }
      }),
    );
  });
});
