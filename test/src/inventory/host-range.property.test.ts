/**
 * Properties of Ansible host patterns (web[01:20], db-[a:f], [1:20:2], host:port): any text gives
 * hosts or a phrase saying what is wrong, never an exception and never more than the cap; a pattern
 * written from ranges expands to exactly their product, in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { expandHostPattern, MAX_RANGE_HOSTS } from '../../../src/inventory/host-range.js';
import { check } from '../../helpers/property.js';

interface Range {
  text: string;
  values: string[];
}

const numberRange: fc.Arbitrary<Range> = fc
  .record({ start: fc.integer({ min: 0, max: 120 }), count: fc.integer({ min: 1, max: 12 }), step: fc.option(fc.integer({ min: 1, max: 4 })), padded: fc.boolean() })
  .map(({ start, count, step, padded }) => {
    const end = start + (count - 1) * (step ?? 1);
    // Padding is asked for by a leading zero, with start and end of one width: one wider than the end.
    const show = (n: number): string => String(n).padStart(padded ? String(end).length + 1 : 0, '0');
    return {
      text: `[${show(start)}:${show(end)}${step === null ? '' : `:${step}`}]`,
      values: Array.from({ length: count }, (_, i) => show(start + i * (step ?? 1))),
    };
  });

const letterRange: fc.Arbitrary<Range> = fc
  .record({ from: fc.integer({ min: 0, max: 25 }), span: fc.integer({ min: 0, max: 6 }), upper: fc.boolean() })
  .map(({ from, span, upper }) => {
    const base = upper ? 65 : 97;
    const to = Math.min(25, from + span);
    const letters = Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(base + from + i));
    return { text: `[${letters[0]}:${letters.at(-1)}]`, values: letters };
  });

const literal = fc.stringMatching(/^[a-z0-9.-]{0,5}$/);
const pattern = fc.record({
  parts: fc.array(fc.tuple(literal, fc.oneof(numberRange, letterRange)), { maxLength: 3 }),
  tail: literal,
  port: fc.option(fc.integer({ min: 1, max: 65535 })),
});

describe('host pattern properties', () => {
  it('any text: hosts (at most the cap) or a phrase, never an exception', () => {
    const pieces = fc.constantFrom('[', ']', ':', '[1:3]', '[01:10]', '[a:c]', '[3:1]', '[1:2:0]', '[1:100000]', 'web', '.', '::1', '[fd00::1]', '9');
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.array(pieces, { maxLength: 10 }).map((p) => p.join('')));
    check(
      fc.property(text, (input) => {
        const result = expandHostPattern(input);
        if (typeof result === 'string') assert.ok(result.length > 0);
        else assert.ok(result.names.length >= 1 && result.names.length <= MAX_RANGE_HOSTS);
      }),
    );
  });

  it('a pattern written from ranges expands to their product, first range slowest, with its port', () => {
    check(
      fc.property(pattern, ({ parts, tail, port }) => {
        const text = parts.map(([lit, range]) => `${lit}${range.text}`).join('') + tail + (port === null ? '' : `:${port}`);
        const expected = parts.reduce<string[]>((names, [lit, range]) => names.flatMap((name) => range.values.map((value) => `${name}${lit}${value}`)), ['']).map((name) => `${name}${tail}`);
        assert.deepStrictEqual(expandHostPattern(text), port === null ? { names: expected } : { names: expected, port });
      }),
    );
  });
});

describe('host patterns: regressions', () => {
  it('20,000 ranges in one name are expanded without recursing once per range (was a stack overflow)', () => {
    const result = expandHostPattern(`a${'[1:1]'.repeat(20_000)}`);
    assert.deepStrictEqual(result, { names: [`a${'1'.repeat(20_000)}`] });
  });
  it('a "]" before the first range is an error, not part of the names', () => {
    assert.equal(expandHostPattern('a]b[1:2]'), 'a "]" without its "["');
  });
});
