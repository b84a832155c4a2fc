/**
 * Properties of reading a JSON report back (baselines, history, twoway diff/render): a report as
 * written reads back the same; any text is a report or an InputError naming the file, never another
 * exception; a bad value in a field the reader checks is an error naming that field at its line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../../src/errors.js';
import { renderJson } from '../../src/render/json.js';
import type { NodeReport, PathReport } from '../../src/report.js';
import { parseReport } from '../../src/report-file.js';
import { NODE_KINDS, PATH_KINDS } from '../../src/verdicts.js';
import { check, parsesOrNamesThePlace } from '../helpers/property.js';
import { report } from '../helpers/report-builder.js';

const FILE = '/var/lib/twoway/history/20250101T000000-abcdef.json';
const str = fc.string({ unit: 'binary', maxLength: 12 });

const path: fc.Arbitrary<PathReport> = fc.record({
  direction: fc.constantFrom('callback' as const, 'forward' as const),
  from: str,
  to: str,
  port: fc.integer({ min: 0, max: 65535 }),
  proto: fc.constantFrom('http' as const, 'https' as const, 'tcp' as const),
  verdict: fc.constantFrom(...PATH_KINDS),
  summary: str,
  // What the reader does not check is kept as it is (typed evidence carries a kind: here the catch-all one).
  evidence: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map((fields) => ({ ...fields, kind: 'legacy' })),
}) as fc.Arbitrary<PathReport>;
const nodeReport: fc.Arbitrary<NodeReport> = fc
  .record({ name: str, addresses: fc.array(str, { maxLength: 2 }), paths: fc.array(path, { maxLength: 3 }), nodeVerdict: fc.option(fc.constantFrom(...NODE_KINDS)) })
  .map(({ name, addresses, paths, nodeVerdict }) => ({
    name,
    addresses,
    profile: 'linux',
    verdict: nodeVerdict ?? paths.find((p) => p.verdict !== 'ok')?.verdict ?? 'ok',
    ...(nodeVerdict === null ? {} : { nodeVerdict }),
    callbackAddresses: [],
    paths,
    ms: 1,
  }));
const runId = fc.tuple(fc.integer({ min: 1, max: 28 }), fc.stringMatching(/^[0-9a-f]{6}$/)).map(([day, hex]) => `202501${String(day).padStart(2, '0')}T120000-${hex}`);
const validReport = fc.tuple(runId, fc.array(nodeReport, { maxLength: 4 }), fc.boolean()).map(([id, nodes, interrupted]) => report(id, nodes, interrupted));

/** Plain objects all the way down (JSON's own idea of the report). */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('report file properties', () => {
  it('a report as written reads back the same', () => {
    check(fc.property(validReport, (r) => assert.deepStrictEqual(parseReport(renderJson(r), FILE), plain(r))));
  });

  it('any text or JSON: a report or an InputError naming the file', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.json({ maxDepth: 4 }), validReport.map((r) => renderJson(r).slice(0, -20)));
    check(fc.property(text, (t) => void parsesOrNamesThePlace(() => parseReport(t, FILE), FILE, t)));
  });

  it('a wrong value in a checked field is an error naming that field, at the line of its key', () => {
    const withPath = validReport.filter((r) => r.nodes[0]?.paths[0] !== undefined);
    const NOT_A_STRING = [1.5, {}, null, true];
    const NOT_A_KIND = ['not-a-kind', 1.5, null];
    // field, the object holding it, its key, values that are wrong there
    const FIELDS: [string, (r: Record<string, any>) => Record<string, any>, string, unknown[]][] = [
      ['run.id', (r) => r.run, 'id', NOT_A_STRING],
      ['run.startedAt', (r) => r.run, 'startedAt', NOT_A_STRING],
      ['run.interrupted', (r) => r.run, 'interrupted', ['yes', 1, null]],
      ['nodes[0].name', (r) => r.nodes[0], 'name', NOT_A_STRING],
      ['nodes[0].addresses', (r) => r.nodes[0], 'addresses', ['x', [1], null]],
      ['nodes[0].verdict', (r) => r.nodes[0], 'verdict', NOT_A_KIND],
      ['nodes[0].nodeVerdict', (r) => r.nodes[0], 'nodeVerdict', NOT_A_KIND],
      ['nodes[0].paths', (r) => r.nodes[0], 'paths', ['x', {}, null]],
      ['nodes[0].paths[0].direction', (r) => r.nodes[0].paths[0], 'direction', NOT_A_KIND],
      ['nodes[0].paths[0].port', (r) => r.nodes[0].paths[0], 'port', ['22', 1.5, null]],
      ['nodes[0].paths[0].proto', (r) => r.nodes[0].paths[0], 'proto', NOT_A_KIND],
      ['nodes[0].paths[0].verdict', (r) => r.nodes[0].paths[0], 'verdict', NOT_A_KIND],
    ];
    const swap = fc.constantFrom(...FIELDS).chain(([field, holder, key, wrongs]) => fc.tuple(fc.constant({ field, holder, key }), fc.constantFrom(...wrongs)));
    check(
      fc.property(withPath, swap, (r, [{ field, holder, key }, wrong]) => {
        const doc = plain(r) as Record<string, any>;
        holder(doc)[key] = wrong;
        const text = renderJson(doc as never);
        const result = parsesOrNamesThePlace(() => parseReport(text, FILE), FILE, text);
        if (!(result instanceof InputError)) return assert.fail(`${field}: ${JSON.stringify(wrong)} was accepted`);
        assert.equal(result.field, field, result.message);
        assert.ok(text.split('\n')[result.line! - 1]?.includes(`"${key}": `), `line ${result.line} holds "${key}"`);
      }),
    );
  });
});
