/**
 * Properties of parseAgentEvent, the controller's reader of the agent's JSON Lines (untrusted: any
 * node may send anything): any line is an event or an AgentLineError that names the field or says
 * why, never another exception; every valid event reads back as written; a field of the wrong type
 * is an error naming that field.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AgentLineError, MAX_AGENT_LINE_BYTES, PROBE_OUTCOMES, PROBE_PHASES, parseAgentEvent, type AgentEvent } from '../../src/protocol.js';
import { check } from '../helpers/property.js';

/** A string of at most `max` UTF-16 units (the limits the reader checks), any characters. */
const text = (max: number) => fc.string({ unit: 'binary', maxLength: Math.floor(max / 2) });
const nonNegative = fc.oneof(fc.nat(), fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).map((x) => Math.abs(x)));
const endpoint = fc.record({ address: text(64), port: fc.integer({ min: 0, max: 65535 }) });
const small = { maxLength: 4 };

const agent = fc.record({ t: fc.constant('agent' as const), flavour: text(32), version: text(32), runtime: text(64), platform: text(32) });
const facts = fc.record({
  t: fc.constant('facts' as const),
  hostname: text(255),
  addresses: fc.array(fc.record({ iface: text(64), address: text(64), family: fc.constantFrom('IPv4' as const, 'IPv6' as const) }), small),
  routes: fc.array(fc.record({ to: text(64), source: text(64), iface: text(64), error: text(512) }, { requiredKeys: ['to'] }), small),
});
const probe = fc.record(
  {
    t: fc.constant('probe' as const),
    id: text(64),
    outcome: fc.constantFrom(...PROBE_OUTCOMES),
    phase: fc.constantFrom(...PROBE_PHASES),
    ms: nonNegative,
    bytes: nonNegative,
    local: endpoint,
    seen: endpoint,
    fingerprint: text(128),
    httpStatus: fc.integer({ min: 0, max: 999 }),
    posts: fc.array(fc.record({ ms: nonNegative, ok: fc.boolean() }), small),
    hold: fc.record({ idleMs: nonNegative, push: fc.boolean(), pong: fc.boolean() }),
    ftp: fc.record({ controlOk: fc.boolean(), loginOk: fc.boolean(), dataConnected: fc.boolean(), pasvPort: fc.integer({ min: 1, max: 65535 }), reply: text(512) }, { requiredKeys: ['controlOk', 'loginOk', 'dataConnected'] }),
    error: fc.record({ code: text(64), message: text(1024) }, { requiredKeys: ['message'] }),
  },
  { requiredKeys: ['t', 'id', 'outcome', 'phase', 'ms'] },
);
const halfopen = fc.record({ t: fc.constant('halfopen' as const), measured: fc.boolean(), entries: fc.array(fc.record({ local: endpoint, remote: endpoint }), small) });
const done = fc.record({ t: fc.constant('done' as const), ms: nonNegative });
const fatal = fc.record({ t: fc.constant('fatal' as const), message: text(2048) });
const event: fc.Arbitrary<AgentEvent> = fc.oneof(agent, facts, probe, halfopen, done, fatal);

/** Plain objects all the way down (fc.record sometimes makes prototype-less ones; the reader's are plain). */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const ERROR_MESSAGE = /^(field "[^"]+": expected \S|not JSON$|line longer than \d+ bytes$)/;

/** parseAgentEvent, with the only failure it may have: an AgentLineError saying which field or why. */
function read(line: string): AgentEvent | AgentLineError {
  try {
    return parseAgentEvent(line);
  } catch (err) {
    if (!(err instanceof AgentLineError)) throw err;
    assert.equal(err.code, 'TWOWAY_AGENT_LINE');
    assert.match(err.message, ERROR_MESSAGE);
    return err;
  }
}

describe('agent JSON Lines properties', () => {
  it('any line: an event (that reads back the same once written again) or an AgentLineError naming the field', () => {
    const KEYS = ['t', 'ms', 'id', 'outcome', 'phase', 'local', 'seen', 'posts', 'hold', 'ftp', 'error', 'entries', 'measured', 'message', 'addresses', 'routes', 'hostname', 'flavour', '__proto__', 'constructor'];
    const shaped = fc
      .record({ t: fc.constantFrom('agent', 'facts', 'probe', 'halfopen', 'done', 'fatal', 'x'), rest: fc.dictionary(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }) })
      .map(({ t, rest }) => JSON.stringify({ ...rest, t }));
    const line = fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.json({ maxDepth: 3 }), shaped, event.map((e) => JSON.stringify(e)));
    check(
      fc.property(line, (l) => {
        const result = read(l);
        if (!(result instanceof AgentLineError)) assert.deepStrictEqual(read(JSON.stringify(result)), result);
      }),
    );
  });

  it('every valid event reads back as written', () => {
    check(
      fc.property(event, (e) => {
        const line = JSON.stringify(e);
        if (Buffer.byteLength(line) > MAX_AGENT_LINE_BYTES) assert.ok(read(line) instanceof AgentLineError);
        else assert.deepStrictEqual(parseAgentEvent(line), plain(e));
      }),
    );
  });

  it('a field of the wrong type is an error naming that field', () => {
    const mutated = event.chain((e) => fc.tuple(fc.constant(e), fc.constantFrom(...Object.keys(e)), fc.constantFrom<unknown>('x', -1, true, null, [], {})));
    check(
      fc.property(mutated, ([e, key, wrong]) => {
        const original = (e as unknown as Record<string, unknown>)[key];
        // Only a value of another JSON type is surely wrong (a string for a string may be fine).
        const kind = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
        if (kind(original) === kind(wrong) || (key === 't' && typeof wrong === 'string')) return;
        const result = read(JSON.stringify({ ...e, [key]: wrong }));
        assert.ok(result instanceof AgentLineError, `${key}: ${JSON.stringify(wrong)} was accepted`);
        assert.ok(result.message.startsWith(`field "${key}`), result.message);
      }),
    );
  });
});
