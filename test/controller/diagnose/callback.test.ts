/**
 * Callback paths, table-driven: each row is flat evidence and the verdict it must give, with the
 * typed evidence it rests on. The table covers every path verdict kind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_THRESHOLDS, type NodeEvidence } from '../../../controller/diagnose/inputs.js';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import type { LedgerRequest } from '../../../controller/wire/ledger.js';
import type { AgentEvent, ProbeResult } from '../../../src/protocol.js';
import { PATH_KINDS, type VerdictKind } from '../../../src/verdicts.js';
import { NODE_ADDR, accepted, allHttp, classifyRows, evidence, httpPath, type ClassifyRow, httpProbes, httpsPath, ledgerFor, plan, synSeen } from '../../helpers/diagnose-input.js';
import { evidenceOf } from '../../helpers/evidence.js';

/** The status probe's two posts: the first acknowledged, the second not. */
const SECOND_POST_FAILED = [{ ms: 2, ok: true }, { ms: 3000, ok: false }];

function statusPost(seq: number, more: Partial<LedgerRequest> = {}): LedgerRequest {
  return { ...ledgerFor('status-http-0'), method: 'POST', seq, ...more };
}

/** Every probe on the http path did not start (agent deadline), except the overrides. */
function onlyThese(overrides: Record<string, Partial<ProbeResult>>): Record<string, Partial<ProbeResult>> {
  const notStarted: Partial<ProbeResult> = { outcome: 'error', phase: 'connect', ms: 0, error: { code: 'TWOWAY_NOT_STARTED', message: 'x' } };
  return { ...Object.fromEntries(httpProbes.filter((p) => p.alternate !== true).map((p) => [p.id, notStarted])), ...overrides };
}

/** Every probe ok, and the node's 443 refused while the node listens on 22 only. */
function refused443(needs: 'service' | 'path'): NodeEvidence {
  const input = evidence({}, { forward: [{ address: NODE_ADDR, port: 443, probe: 'tcp', purpose: 'test', needs, result: { outcome: 'refused', ms: 1, error: { code: 'ECONNREFUSED', message: 'refused' } } }] });
  const table: AgentEvent = { t: 'halfopen', measured: true, entries: [], listening: { measured: true, sockets: [{ address: '0.0.0.0', port: 22 }] } };
  return { ...input, events: [...input.events.slice(0, -1), table, ...input.events.slice(-1)] };
}
const forward443 = (r: ReturnType<typeof diagnoseNode>): VerdictKind | undefined => r.paths.find((p) => p.direction === 'forward' && p.port === 443)?.verdict;

const ROWS: ClassifyRow[] = [
  {
    name: 'all probes pass',
    input: evidence(),
    node: 'ok',
    http: 'ok',
    check: (r) => {
      const e = evidenceOf(httpPath(r), 'measured');
      assert.deepEqual([e.largestPassing, e.statusMs, e.idleHoldMs, e.seen], [1048576, [2, 2], 4000, { address: NODE_ADDR, port: 40000 }]);
    },
  },
  {
    name: 'connect timeout and the ledger saw nothing',
    input: evidence({ 'hello-http-0': { outcome: 'timeout', phase: 'connect', ms: 3000 } }),
    node: 'blocked',
    http: 'blocked',
    check: (r) => {
      const e = evidenceOf(httpPath(r), 'probe');
      assert.deepEqual([e.probe, e.outcome, e.ledgerSawRequest], ['hello-http-0', 'timeout', false]);
      assert.deepEqual(e.alternates, [{ proto: 'http', port: 80, outcome: 'ok' }, { proto: 'https', port: 443, outcome: 'ok' }], 'a failing path keeps how the alternate ports fared');
    },
  },
  {
    name: 'connect timeout but the ledger saw the request',
    input: evidence({ 'hello-http-0': { outcome: 'timeout', phase: 'connect' } }, { ledger: [ledgerFor('hello-http-0')] }),
    node: 'return-path-lost',
  },
  {
    name: 'no response while the ledger completed the answer',
    input: evidence({ 'status-http-0': { outcome: 'no-response', phase: 'response' } }, { ledger: [ledgerFor('status-http-0')] }),
    node: 'return-path-lost',
    http: 'return-path-lost',
  },
  { name: 'connection refused', input: evidence({ 'hello-http-0': { outcome: 'refused', phase: 'connect' } }), node: 'rejected', http: 'rejected' },
  { name: 'host unreachable', input: evidence({ 'hello-http-0': { outcome: 'unreachable', phase: 'connect', error: { code: 'EHOSTUNREACH', message: 'x' } } }), node: 'no-route' },
  {
    name: 'small download passes, larger stalls at an offset',
    input: evidence({ 'dl-http-0-65536': { outcome: 'stalled', phase: 'body', bytes: 1448 }, 'dl-http-0-1048576': { outcome: 'stalled', phase: 'body', bytes: 0 } }),
    node: 'mtu-blackhole',
    http: 'mtu-blackhole',
    check: (r) => {
      const e = evidenceOf(httpPath(r), 'size-boundary');
      assert.equal(e.largestPassingDownload, 1024);
      // The largest transfers that passed each way, at 5 ms each (okResult): 1 KiB down, 1 MiB up.
      assert.deepEqual(e.passingMbps, { download: Math.round((1024 * 8) / 5 / 100) / 10, upload: Math.round((1048576 * 8) / 5 / 100) / 10 });
      assert.equal(e.stallAt, 1448);
      assert.deepEqual(e.stuck, ['dl-http-0-65536', 'dl-http-0-1048576']);
      assert.match(httpPath(r).summary, /download of 64 KiB stalled at byte 1448.*up to 1 KiB passes.*every upload passed, so only the direction toward the node is affected/);
    },
  },
  {
    name: 'hello passes, a 64 KiB answer never arrives although the listener sent it',
    input: evidence(
      { 'dl-http-0-65536': { outcome: 'no-response', phase: 'response', bytes: 0 }, 'dl-http-0-1048576': { outcome: 'no-response', phase: 'response' } },
      { ledger: [{ ...ledgerFor('dl-http-0-65536'), bytesWritten: 65536 }] },
    ),
    node: 'mtu-blackhole',
    http: 'mtu-blackhole',
    check: (r) => {
      const e = evidenceOf(httpPath(r), 'size-boundary');
      assert.equal(e.stallAt, 0);
      assert.equal(e.listenerBytesWritten, 65536);
      assert.equal(e.largestPassingDownload, 1024);
    },
  },
  {
    name: 'a 1 MiB download stalled after 970020 bytes and the status passed after it: a link flap, not the size',
    input: evidence({ 'dl-http-0-1048576': { outcome: 'stalled', phase: 'body', bytes: 970020 } }),
    node: 'path-outage',
    http: 'path-outage',
    check: (r) => {
      const e = evidenceOf(httpPath(r), 'outage');
      assert.equal(e.stallAt, 970020);
      assert.deepEqual(e.stuck, ['dl-http-0-1048576']);
      assert.match(e.notSize.join('; '), /970020 bytes of the 1 MiB download arrived before it stalled/);
    },
  },
  {
    name: 'small uploads pass, a 1 MiB upload stalls where the listener stopped receiving',
    input: evidence(
      { 'ul-http-0-1048576': { outcome: 'stalled', phase: 'response', bytes: 1048576, error: { code: 'TWOWAY_STALL', message: 'x' } } },
      { ledger: [{ ...ledgerFor('ul-http-0-1048576'), method: 'POST', completed: false, bytesReceived: 2800 }] },
    ),
    node: 'mtu-blackhole',
    http: 'mtu-blackhole',
    check: (r) => {
      const e = evidenceOf(httpPath(r), 'size-boundary');
      assert.equal(e.stallAt, 2800, 'the offset is what the controller received, not what the node handed its kernel');
      assert.equal(e.largestPassingUpload, 65536);
      assert.match(httpPath(r).summary, /upload of 1 MiB stalled at byte 2800 \(the agent had sent 1048576, the listener received 2800\)/);
    },
  },
  {
    name: 'a stall with nothing smaller passing is not called an MTU black hole',
    input: evidence(allHttp({ outcome: 'no-response', phase: 'response' })),
    node: 'stalled',
    http: 'stalled',
  },
  {
    name: 'the idle hold lost both directions after the quiet time',
    input: evidence({ 'hold-http-0': { outcome: 'no-response', phase: 'hold', hold: { idleMs: 4000, push: false, pong: false } } }, { ledger: [{ ...ledgerFor('hold-http-0'), holdOpened: true, holdPushSent: true, holdPingReceived: false }] }),
    node: 'idle-cut',
    http: 'idle-cut',
    check: (r) => {
      assert.match(httpPath(r).summary, /after 4\.0 s quiet, the controller's push never reached the node; the node's ping never reached the controller/);
      const e = evidenceOf(httpPath(r), 'idle-cut');
      assert.equal(e.listenerPushSent, true);
      assert.deepEqual([e.idleMs, e.push, e.pong, e.failures], [4000, false, false, 1]);
    },
  },
  {
    name: 'the idle hold could not even connect: the usual connect verdict, not idle-cut',
    input: evidence({ 'hold-http-0': { outcome: 'timeout', phase: 'connect' } }),
    node: 'blocked',
    http: 'blocked',
  },
  {
    name: 'connect timeout while the controller held the node\'s SYN half-open',
    input: evidence(allHttp({ outcome: 'timeout', phase: 'connect' }), { controllerHalfOpen: synSeen(NODE_ADDR, 63001) }),
    node: 'return-path-lost',
    http: 'return-path-lost',
    check: (r) => {
      assert.match(httpPath(r).summary, /the controller got the SYN from 10\.9\.1\.2 \(SYN_RECV on port 63001\), its SYN-ACK never reached the node/);
      assert.equal(evidenceOf(httpPath(r), 'probe').controllerHalfOpen?.remote, NODE_ADDR);
      assert.equal(r.paths.find((p) => p.proto === 'https')?.verdict, 'ok', 'a sighting on 63001 says nothing about 63002');
    },
  },
  {
    name: 'the controller\'s SYN_RECV from another address does not count',
    input: evidence({ 'hello-http-0': { outcome: 'timeout', phase: 'connect' } }, { controllerHalfOpen: synSeen('10.9.7.7', 63001) }),
    node: 'blocked',
  },
  {
    name: 'status post 1 passes, post 2 times out and the ledger has nothing for seq 2',
    input: evidence({ 'status-http-0': { outcome: 'timeout', phase: 'connect', ms: 3000, posts: SECOND_POST_FAILED } }, { ledger: [statusPost(1)] }),
    node: 'blocked',
    http: 'blocked',
    check: (r) => {
      assert.match(httpPath(r).summary, /^status post 2 of 2: connect timed out after 3000 ms; the listener saw nothing$/);
      const e = evidenceOf(httpPath(r), 'probe');
      assert.equal(e.statusPost, 2);
      assert.equal(e.ledgerSawRequest, false, 'post 1 in the ledger says nothing about post 2');
    },
  },
  {
    name: 'status post 2 connects and the listener never sees it, while post 1 went through',
    input: evidence({ 'status-http-0': { outcome: 'no-response', phase: 'response', posts: SECOND_POST_FAILED } }, { ledger: [statusPost(1)] }),
    node: 'stalled',
    http: 'stalled',
    check: (r) => assert.match(httpPath(r).summary, /^status post 2 of 2: connected, but the listener never saw the request/),
  },
  {
    name: 'status post 2 reached the listener, its answer never reached the node',
    input: evidence({ 'status-http-0': { outcome: 'no-response', phase: 'response', posts: SECOND_POST_FAILED } }, { ledger: [statusPost(1), statusPost(2)] }),
    node: 'return-path-lost',
    http: 'return-path-lost',
    check: (r) => {
      assert.match(httpPath(r).summary, /^status post 2 of 2: the listener answered \(response complete\), the agent never got it$/);
      const e = evidenceOf(httpPath(r), 'probe');
      assert.deepEqual([e.ledgerSawRequest, e.ledgerCompleted], [true, true]);
    },
  },
  {
    name: 'the one transfer that ran stalled part-way and nothing on the path passed',
    input: evidence(onlyThese({ 'ul-http-0-1048576': { outcome: 'stalled', phase: 'response', bytes: 1048576, error: { code: 'TWOWAY_STALL', message: 'x' } } }), {
      ledger: [{ ...ledgerFor('ul-http-0-1048576'), method: 'POST', completed: false, bytesReceived: 2800 }],
    }),
    node: 'stalled',
    http: 'stalled',
    check: (r) => {
      assert.equal(evidenceOf(httpPath(r), 'probe').stallAt, 2800, 'where the listener stopped receiving, not what the node handed its kernel');
      assert.match(httpPath(r).summary, /^upload of 1 MiB: stalled at byte 2800 of 1048576$/);
    },
  },
  {
    name: 'connect timeout while the listener accepted that very connection: a handshake completed late, not a lost way back',
    input: evidence({ 'hello-http-0': { outcome: 'timeout', phase: 'connect', ms: 3000, local: { address: NODE_ADDR, port: 41001 }, seen: undefined } }, { connections: { complete: true, records: [accepted(41001, 63001)] } }),
    node: 'slow',
    http: 'slow',
    check: (r) => {
      assert.match(httpPath(r).summary, /^hello: the listener accepted the connection from 10\.9\.1\.2:41001 only as the agent's 3000 ms connect deadline passed/);
      assert.deepEqual(evidenceOf(httpPath(r), 'probe').listenerConnection, { accepted: true, at: 120, from: { address: NODE_ADDR, port: 41001 } });
    },
  },
  {
    name: 'connect timeout, and the listener\'s only connection from that endpoint was to another port',
    input: evidence({ 'hello-http-0': { outcome: 'timeout', phase: 'connect', ms: 3000, local: { address: NODE_ADDR, port: 41001 }, seen: undefined } }, { connections: { complete: true, records: [accepted(41001, 63002)] } }),
    node: 'blocked',
    http: 'blocked',
    check: (r) => assert.deepEqual(evidenceOf(httpPath(r), 'probe').listenerConnection, { accepted: false, agentLocal: { address: NODE_ADDR, port: 41001 } }),
  },
  {
    name: 'HTTPS handshake fails and the listener saw it fail on the connection it accepted',
    input: evidence(
      { 'hello-https-0': { outcome: 'tls-error', phase: 'tls', seen: undefined, local: { address: NODE_ADDR, port: 41002 }, error: { code: 'ECONNRESET', message: 'socket disconnected before secure TLS connection was established' } } },
      { connections: { complete: true, records: [accepted(41002, 63002, { tls: 'failed', tlsError: 'ERR_SSL_NO_SHARED_CIPHER: no shared cipher' })] } },
    ),
    node: 'tls-failed',
    check: (r) => {
      assert.equal(httpsPath(r).verdict, 'tls-failed');
      assert.match(httpsPath(r).summary, /the listener accepted the connection from 10\.9\.1\.2:41002 and saw the handshake fail \(ERR_SSL_NO_SHARED_CIPHER: no shared cipher\)$/);
      assert.deepEqual(evidenceOf(httpsPath(r), 'probe').listenerConnection, { accepted: true, at: 120, from: { address: NODE_ADDR, port: 41002 }, tls: 'failed', tlsError: 'ERR_SSL_NO_SHARED_CIPHER: no shared cipher' });
    },
  },
  {
    name: 'behind a NAT a connection missing from the listener\'s record says nothing',
    input: evidence(
      { 'hello-http-0': { seen: { address: NODE_ADDR, port: 61000 } }, 'hello-https-0': { outcome: 'tls-error', phase: 'tls', seen: undefined, local: { address: NODE_ADDR, port: 41002 } } },
      { connections: { complete: true, records: [] } },
    ),
    node: 'tls-failed',
    check: (r) => {
      assert.equal(evidenceOf(httpsPath(r), 'probe').listenerConnection, undefined);
      assert.match(httpsPath(r).summary, /^hello: TLS handshake failed \(no detail\)$/);
    },
  },
  { name: 'connection closed mid-body', input: evidence({ 'dl-http-0-65536': { outcome: 'truncated', phase: 'body', bytes: 30000 } }), node: 'truncated' },
  {
    name: 'a 1 MiB download at 2 Mbit/s',
    input: evidence({ 'dl-http-0-1048576': { ms: 4200 } }),
    node: 'slow',
    http: 'slow',
    check: (r) => {
      const e = evidenceOf(httpPath(r), 'measured');
      assert.ok((e.throughputMbps ?? Infinity) < DEFAULT_THRESHOLDS.minMbps);
      // 1 GiB at 1048576 B / 4.2 s: 4300.8 s.
      assert.equal(e.firmwareEstimateSec, 4301);
      assert.match(httpPath(r).summary, /a 1 GiB firmware bundle would take about 72 min/);
    },
  },
  {
    name: 'the probe deadline passed while bytes still flowed',
    input: evidence({ 'dl-http-0-1048576': { outcome: 'stalled', phase: 'body', bytes: 400000, ms: 60000, error: { code: 'TWOWAY_PROBE_DEADLINE', message: 'x' } } }),
    node: 'slow',
    http: 'slow',
    check: (r) => assert.equal(evidenceOf(httpPath(r), 'probe').bytes, 400000),
  },
  {
    name: 'a probe the agent deadline never let start',
    input: evidence({ 'status-http-0': { outcome: 'error', phase: 'connect', error: { code: 'TWOWAY_NOT_STARTED', message: 'x' } } }),
    node: 'not-measured',
    http: 'not-measured',
  },
  {
    name: 'the controller saw another source address',
    input: evidence({ 'hello-http-0': { seen: { address: '10.9.0.254', port: 5555 } } }),
    node: 'source-mismatch',
    http: 'source-mismatch',
    check: (r) => {
      const e = evidenceOf(httpPath(r), 'source-mismatch');
      assert.deepEqual([e.seen, e.nodeSource], [{ address: '10.9.0.254', port: 5555 }, NODE_ADDR]);
    },
  },
  { name: 'certificate fingerprint differs', input: evidence({ 'hello-https-0': { outcome: 'tls-mismatch', phase: 'tls', fingerprint: 'CC:DD' } }), node: 'tls-intercepted' },
  { name: 'TLS handshake fails', input: evidence({ 'hello-https-0': { outcome: 'tls-error', phase: 'tls' } }), node: 'tls-failed' },
  {
    name: 'the agent cannot measure the idle hold and everything else passed',
    input: evidence({ 'hold-http-0': { outcome: 'unsupported', phase: 'connect', error: { code: 'TWOWAY_UNSUPPORTED', message: 'no WebSocket in this flavour' } } }),
    node: 'not-measured',
    http: 'not-measured',
    check: (r) => {
      assert.equal(evidenceOf(httpPath(r), 'probe').unsupported, true);
      assert.match(httpPath(r).summary, /^everything this agent can measure passed; idle hold: not measured: no WebSocket in this flavour$/);
    },
  },
  { name: 'a path-only forward port refused, nothing listening on the node', input: refused443('path'), node: 'ok', check: (r) => assert.equal(forward443(r), 'closed') },
  { name: 'a service forward port refused, nothing listening on the node', input: refused443('service'), node: 'service-down', check: (r) => assert.equal(forward443(r), 'service-down') },
];

classifyRows(ROWS);

test('callback: the table covers every path verdict kind', () => {
  const seen = new Set<VerdictKind>();
  for (const row of ROWS) for (const p of diagnoseNode(row.input).paths) seen.add(p.verdict);
  assert.deepEqual(PATH_KINDS.filter((k) => !seen.has(k)), []);
});

test('callback: the alternate-port hellos make no paths of their own: they are evidence on a failing path', () => {
  const report = diagnoseNode(evidence());
  assert.deepEqual(
    report.paths.filter((p) => p.direction === 'callback').map((p) => `${p.proto}:${p.port}`),
    ['http:63001', 'https:63002'],
  );
  assert.equal(evidenceOf(httpPath(report), 'measured').alternates, undefined, 'a passing path carries no alternates');
  assert.ok(plan.probes.some((p) => p.alternate === true));
});
