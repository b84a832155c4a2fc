/**
 * Properties of profile files (--profiles): any text gives profiles or an InputError naming the file
 * and an existing line, never another exception (names such as "constructor" or "__proto__"
 * included); a file written from valid definitions reads back as those profiles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { InputError } from '../../src/errors.js';
import { parseProfiles } from '../../src/profile-file.js';
import { BUILT_IN_PROFILES, CALLBACK_KINDS, FORWARD_PROBES, defaultNeeds, type ForwardPort, type Profile } from '../../src/profiles.js';
import { check, parsesOrNamesThePlace } from '../helpers/property.js';

const FILE = '/etc/twoway/profiles.yaml';
const parse = (text: string) => parsesOrNamesThePlace(() => parseProfiles(text, FILE), FILE, text);

/** Names that a plain object lookup would find on Object.prototype, next to real ones. */
const PROFILE_NAMES = ['linux', 'ilo', 'switch', 'x', 'lab-1', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'bad name', ''];
const value = fc.oneof(
  fc.constantFrom(...PROFILE_NAMES, 'tcp', 'https', 'gopher', 'http', 'ftp', true, false, null, 0, 22, 443, 70_000, -1, 2.5, 9),
  fc.string({ maxLength: 8 }),
  fc.array(fc.oneof(fc.constantFrom(22, 80, 443, 9999, 'http', 'ftp', null), fc.record({ port: fc.constantFrom(22, 8443, 70_000, 'x'), probe: fc.constantFrom('tcp', 'https', 'gopher'), purpose: fc.constantFrom('p', '', 3) }, { requiredKeys: [] })), { maxLength: 3 }),
);
const profileBody = fc.dictionary(fc.constantFrom('extends', 'description', 'agent', 'callbacks', 'add', 'remove', 'min_addresses', 'hints', 'other'), value, { maxKeys: 4 });
const profileDoc = fc.oneof(
  fc.record({ profiles: fc.dictionary(fc.constantFrom(...PROFILE_NAMES), fc.oneof(profileBody, value), { maxKeys: 4 }) }),
  fc.jsonValue({ maxDepth: 4 }),
);

describe('profile file properties', () => {
  it('any text: profiles or an InputError at an existing line', () => {
    check(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme-ascii', maxLength: 200 })), (text) => void parse(text)));
  });

  it('profile-shaped documents with right and wrong values, as YAML and as JSON', () => {
    check(
      fc.property(profileDoc, fc.boolean(), (doc, asJson) => {
        const result = parse(asJson ? JSON.stringify(doc) : toYaml(doc));
        if (result instanceof InputError) return;
        // Whatever was read: every profile is complete, and none is a stray Object.prototype member.
        for (const [name, profile] of Object.entries(result)) {
          assert.equal(profile.name, name);
          assert.ok(Array.isArray(profile.forward) && Array.isArray(profile.callbacks) && Number.isInteger(profile.minAddresses), name);
        }
      }),
    );
  });

  it('a file written from valid definitions reads back: the parent\'s ports minus the removed, plus the added', () => {
    const parentName = fc.constantFrom(...Object.keys(BUILT_IN_PROFILES));
    const definition = parentName.chain((parent) => {
      const inherited = BUILT_IN_PROFILES[parent]!.forward;
      const taken = new Set(inherited.map((f) => f.port));
      return fc.record({
        name: fc.stringMatching(/^[A-Za-z0-9_.-]{1,32}$/).filter((n) => !Object.hasOwn(BUILT_IN_PROFILES, n)),
        parent: fc.constant(parent),
        remove: fc.subarray(inherited.map((f) => f.port)),
        add: fc.uniqueArray(fc.record({ port: fc.integer({ min: 1, max: 65535 }).filter((p) => !taken.has(p)), probe: fc.constantFrom(...FORWARD_PROBES.filter((p) => p !== 'netbios-ns')), purpose: fc.stringMatching(/^[a-z][a-z ]{0,15}$/) }), { maxLength: 3, selector: (f) => f.port }),
        agent: fc.boolean(),
        callbacks: fc.subarray([...CALLBACK_KINDS]),
        minAddresses: fc.integer({ min: 1, max: 8 }),
      });
    });
    check(
      fc.property(fc.uniqueArray(definition, { minLength: 1, maxLength: 3, selector: (d) => d.name }), fc.boolean(), (defs, asJson) => {
        const doc = {
          profiles: Object.fromEntries(
            defs.map((d) => [d.name, { extends: d.parent, remove: d.remove, add: d.add.map((f) => ({ ...f })), agent: d.agent, callbacks: d.callbacks, min_addresses: d.minAddresses }]),
          ),
        };
        const result = parse(asJson ? JSON.stringify(doc, null, 1) : toYaml(doc));
        if (result instanceof InputError) return assert.fail(result.message);
        for (const d of defs) {
          const profile: Profile = result[d.name]!;
          const forward: ForwardPort[] = [...BUILT_IN_PROFILES[d.parent]!.forward.filter((f) => !d.remove.includes(f.port)), ...d.add.map((f) => ({ ...f, needs: defaultNeeds(f.probe) }))];
          assert.deepStrictEqual(
            { forward: profile.forward, agent: profile.agent, callbacks: profile.callbacks, minAddresses: profile.minAddresses },
            { forward, agent: d.agent, callbacks: d.callbacks, minAddresses: d.minAddresses },
          );
        }
      }),
    );
  });
});

describe('profile files: regressions', () => {
  it('"extends: constructor" is an unknown profile, not Object.prototype\'s constructor (was a TypeError)', () => {
    assert.throws(() => parseProfiles('profiles:\n  x:\n    extends: constructor\n', FILE), (err: unknown) => err instanceof InputError && err.line === 3 && err.field === 'profiles.x.extends');
  });
  it('a profile named __proto__ is a profile like any other, and can be extended', () => {
    const profiles = parseProfiles('profiles:\n  __proto__:\n    extends: linux\n    remove: [443]\n  x:\n    extends: __proto__\n', FILE);
    assert.ok(Object.hasOwn(profiles, '__proto__'));
    assert.deepEqual(profiles.x!.forward.map((f) => f.port), [22]);
  });
});
