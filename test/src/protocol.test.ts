/**
 * parseAgentEvent (src/protocol.ts): agent output is untrusted, so every line is checked field by
 * field and bounded; a rejection names the field. Each row is one way a line can be wrong.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentLineError, MAX_AGENT_LINE_BYTES, parseAgentEvent, type ProbeResult } from '../../src/protocol.js';

const HELLO = { t: 'agent', flavour: 'node', version: '1', runtime: 'v20', platform: 'linux' };
const PROBE = { t: 'probe', id: 'hello-http-0', outcome: 'ok', phase: 'body', ms: 3 };

const REJECTED: [string, string, RegExp][] = [
  ['not JSON', '{"t":"agent"', /^not JSON$/],
  ['JSON but not an object', '[1,2]', /field "line": expected an object/],
  ['null', 'null', /field "line": expected an object/],
  ['unknown t', JSON.stringify({ ...HELLO, t: 'shell' }), /field "t": expected one of agent, facts, probe, retry, pathmtu, halfopen, done, fatal/],
  ['retry without an outcome', JSON.stringify({ t: 'retry', id: 'dl-1', phase: 'body', ms: 1 }), /field "outcome"/],
  ['pathmtu with more echoes than a bisection sends', JSON.stringify({ t: 'pathmtu', to: '10.0.0.1', measured: true, probes: Array.from({ length: 17 }, () => ({ size: 576, ok: true })), command: 'ping' }), /field "probes": expected an array of at most 16/],
  ['pathmtu with an echo without ok', JSON.stringify({ t: 'pathmtu', to: '10.0.0.1', measured: false, probes: [{ size: 576 }], command: 'ping' }), /field "probes\[\]\.ok": expected a boolean/],
  ['t missing', JSON.stringify({ ms: 1 }), /field "t"/],
  ['t of the wrong type', JSON.stringify({ t: 1 }), /field "t"/],
  ['hello without its runtime', JSON.stringify({ ...HELLO, runtime: undefined }), /field "runtime": expected a string/],
  ['hello with a number for a string', JSON.stringify({ ...HELLO, version: 1 }), /field "version": expected a string/],
  ['hello with an over-long field', JSON.stringify({ ...HELLO, platform: 'x'.repeat(33) }), /field "platform": expected a string of at most 32 characters/],
  ['probe with an unknown outcome', JSON.stringify({ ...PROBE, outcome: 'great' }), /field "outcome": expected one of/],
  ['probe without its phase', JSON.stringify({ ...PROBE, phase: undefined }), /field "phase"/],
  ['probe with a negative time', JSON.stringify({ ...PROBE, ms: -1 }), /field "ms": expected a non-negative finite number/],
  ['probe with a string for a number', JSON.stringify({ ...PROBE, ms: '3' }), /field "ms"/],
  ['probe with a huge id', JSON.stringify({ ...PROBE, id: 'i'.repeat(65) }), /field "id": expected a string of at most 64/],
  ['probe with a huge error message', JSON.stringify({ ...PROBE, error: { message: 'm'.repeat(1025) } }), /field "message": expected a string of at most 1024/],
  ['probe with too many posts', JSON.stringify({ ...PROBE, posts: Array.from({ length: 1001 }, () => ({ ms: 1, ok: true })) }), /field "posts": expected an array of at most 1000/],
  ['probe with a post of the wrong shape', JSON.stringify({ ...PROBE, posts: [{ ms: 1, ok: 'yes' }] }), /field "posts\[\]\.ok": expected a boolean/],
  ['probe with an endpoint that is not an object', JSON.stringify({ ...PROBE, local: '1.2.3.4:5' }), /field "local": expected an object/],
  ['facts with too many addresses', JSON.stringify({ t: 'facts', hostname: 'h', addresses: Array.from({ length: 257 }, () => ({ iface: 'e', address: 'a', family: 'IPv4' })), routes: [] }), /field "addresses": expected an array of at most 256/],
  ['facts with a bad family', JSON.stringify({ t: 'facts', hostname: 'h', addresses: [{ iface: 'e', address: 'a', family: 'IPX' }], routes: [] }), /field "family"/],
  ['halfopen without measured', JSON.stringify({ t: 'halfopen', entries: [] }), /field "measured": expected a boolean/],
  ['halfopen with too many listening sockets', JSON.stringify({ t: 'halfopen', measured: true, entries: [], listening: { measured: true, sockets: Array.from({ length: 257 }, (_, i) => ({ address: '0.0.0.0', port: i })) } }), /field "sockets": expected an array of at most 256/],
  ['halfopen with listening but no measured', JSON.stringify({ t: 'halfopen', measured: true, entries: [], listening: { sockets: [] } }), /field "listening\.measured": expected a boolean/],
  ['halfopen with a listening socket without a port', JSON.stringify({ t: 'halfopen', measured: true, entries: [], listening: { measured: true, sockets: [{ address: '::' }] } }), /field "port"/],
  ['done without ms', JSON.stringify({ t: 'done' }), /field "ms"/],
  ['fatal with a huge message', JSON.stringify({ t: 'fatal', message: 'f'.repeat(2049) }), /field "message": expected a string of at most 2048/],
  // Under the line bound in characters, over it in bytes: the bound is in bytes.
  ['a line over the bound in bytes only', JSON.stringify({ ...HELLO, extra: 'é'.repeat(MAX_AGENT_LINE_BYTES / 2) }), new RegExp(`^line longer than ${MAX_AGENT_LINE_BYTES} bytes$`)],
  ['a line over the bound in characters', JSON.stringify({ ...HELLO, extra: 'x'.repeat(MAX_AGENT_LINE_BYTES) }), /^line longer than/],
];

for (const [name, line, message] of REJECTED) {
  test(`parseAgentEvent rejects ${name}`, () => {
    assert.throws(() => parseAgentEvent(line), (err: unknown) => {
      assert.ok(err instanceof AgentLineError);
      assert.equal(err.code, 'TWOWAY_AGENT_LINE');
      assert.match(err.message, message);
      return true;
    });
  });
}

test('parseAgentEvent: the listening sockets and the reason they were not measured come through; older agents send none', () => {
  const sockets = [{ address: '0.0.0.0', port: 22 }, { address: '::', port: 443 }];
  assert.deepEqual(parseAgentEvent(JSON.stringify({ t: 'halfopen', measured: true, entries: [], listening: { measured: true, sockets } })), { t: 'halfopen', measured: true, entries: [], listening: { measured: true, sockets } });
  const unmeasured = { measured: false, reason: 'no /proc/net/tcp on this node', sockets: [] };
  assert.deepEqual(parseAgentEvent(JSON.stringify({ t: 'halfopen', measured: false, entries: [], listening: unmeasured })), { t: 'halfopen', measured: false, entries: [], listening: unmeasured });
  assert.deepEqual(parseAgentEvent(JSON.stringify({ t: 'halfopen', measured: true, entries: [] })), { t: 'halfopen', measured: true, entries: [] });
});

test('parseAgentEvent: a line just under the bound in bytes passes, and unknown extra fields are dropped', () => {
  const base = JSON.stringify({ ...HELLO, extra: '' });
  // Four-byte characters (surrogate pairs in UTF-16) fill it up to exactly the bound.
  const room = MAX_AGENT_LINE_BYTES - Buffer.byteLength(base);
  const line = JSON.stringify({ ...HELLO, extra: `${'😀'.repeat(Math.floor(room / 4))}${'x'.repeat(room % 4)}` });
  assert.equal(Buffer.byteLength(line), MAX_AGENT_LINE_BYTES);
  assert.deepEqual(parseAgentEvent(line), HELLO);
  assert.throws(() => parseAgentEvent(`${line} `), /line longer than/);
});

test('parseAgentEvent: the valid forms of each event pass', () => {
  assert.deepEqual(parseAgentEvent(JSON.stringify(HELLO)), HELLO);
  assert.deepEqual(parseAgentEvent(JSON.stringify({ ...PROBE, error: { code: 'ECONNREFUSED', message: 'refused' } })), { ...PROBE, error: { code: 'ECONNREFUSED', message: 'refused' } });
  assert.deepEqual(parseAgentEvent('{"t":"done","ms":0}'), { t: 'done', ms: 0 });
  assert.deepEqual(parseAgentEvent('{"t":"fatal","message":"no route"}\r'), { t: 'fatal', message: 'no route' });
});

test('parseAgentEvent: a probe\'s connect time and the node\'s TCP counters come through; older agents send none', () => {
  const probe = { t: 'probe', id: 'hello-http-0', outcome: 'ok', phase: 'body', ms: 12, connectMs: 4.2 };
  assert.equal((parseAgentEvent(JSON.stringify(probe)) as ProbeResult).connectMs, 4.2);
  assert.equal('connectMs' in parseAgentEvent(JSON.stringify({ ...probe, connectMs: undefined })), false);
  assert.deepEqual(parseAgentEvent('{"t":"done","ms":5,"hostTcp":{"outSegs":900,"retransSegs":12}}'), { t: 'done', ms: 5, hostTcp: { outSegs: 900, retransSegs: 12 } });
  assert.throws(() => parseAgentEvent('{"t":"done","ms":5,"hostTcp":{"outSegs":-1,"retransSegs":0}}'), /outSegs/);
  assert.throws(() => parseAgentEvent(JSON.stringify({ ...probe, connectMs: 'fast' })), /connectMs/);
});

test("parseAgentEvent: a retry line and the node's path MTU line come through with their fields, extra ones dropped", () => {
  assert.deepEqual(parseAgentEvent(JSON.stringify({ t: 'retry', id: 'dl-1', outcome: 'stalled', phase: 'body', ms: 5000, bytes: 1448, local: { address: '10.0.0.2', port: 4 }, error: { code: 'TWOWAY_STALL', message: 'm' } })), {
    t: 'retry',
    id: 'dl-1',
    outcome: 'stalled',
    phase: 'body',
    ms: 5000,
    bytes: 1448,
    error: { code: 'TWOWAY_STALL', message: 'm' },
  });
  const mtu = { t: 'pathmtu', to: '10.0.0.1', measured: true, mtu: 1400, below: 1410, interfaceMtu: 1500, probes: [{ size: 576, ok: true }, { size: 1500, ok: false }], command: 'ping -n -M do -s 1472 -c 1 -W 1 10.0.0.1' };
  assert.deepEqual(parseAgentEvent(JSON.stringify({ ...mtu, extra: 1 })), mtu);
  const not = { t: 'pathmtu', to: '10.0.0.1', measured: false, reason: 'ping (iputils-ping) is not installed on the node', probes: [], command: 'ping' };
  assert.deepEqual(parseAgentEvent(JSON.stringify(not)), not);
});
