/**
 * Classification, table-driven: each row is flat evidence and the verdict it must give. The last
 * test checks that the table covers every kind in the closed union.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyNode, DEFAULT_THRESHOLDS, type NodeEvidence, type SessionEvidence } from '../../../controller/diagnose/classify.js';
import type { LedgerConnection, LedgerRequest } from '../../../controller/wire/ledger.js';
import { buildPlan, DEFAULT_DEADLINES, type PlanSettings } from '../../../controller/run/plan.js';
import type { HalfOpenView } from '../../../controller/host/halfopen-sampler.js';
import type { AgentEvent, ProbeResult } from '../../../src/protocol.js';
import { VERDICT_KINDS, type VerdictKind } from '../../../src/verdicts.js';

const CONTROLLER = '10.9.0.1';
const NODE_ADDR = '10.9.1.2';
const SETTINGS: PlanSettings = {
  runId: 'r',
  sizes: [1024, 65536, 1048576],
  httpPort: 63001,
  httpsPort: 63002,
  alternates: { http: 80, https: 443 },
  statusPosts: 2,
  statusIntervalMs: 10,
  holdMs: 4000,
  deadlines: DEFAULT_DEADLINES,
  agentConcurrency: 4,
  fingerprint256: 'AA:BB',
};
const DIGESTS = { download: () => 'sha', upload: () => 'sha-up' };
const plan = buildPlan({ node: 'n1', token: 'tok', callbackAddresses: [CONTROLLER], sources: [] }, DIGESTS, SETTINGS);
const httpProbes = plan.probes.filter((p) => p.proto === 'http');

const OK_SESSION: SessionEvidence = { exitCode: 0, stderr: '', timedOut: false, interrupted: false, ms: 900 };
const AGENT: AgentEvent = { t: 'agent', flavour: 'node', version: '0.1.0', runtime: 'v20', platform: 'linux' };
const FACTS: AgentEvent = { t: 'facts', hostname: 'n1', addresses: [{ iface: 'eth0', address: NODE_ADDR, family: 'IPv4' }], routes: [{ to: CONTROLLER, source: NODE_ADDR, iface: 'eth0' }] };
const DONE: AgentEvent = { t: 'done', ms: 800 };

function okResult(id: string): ProbeResult {
  const probe = plan.probes.find((p) => p.id === id)!;
  const r: ProbeResult = { t: 'probe', id, outcome: 'ok', phase: 'body', ms: 5, local: { address: NODE_ADDR, port: 40000 } };
  if (probe.kind === 'hello') r.seen = { address: NODE_ADDR, port: 40000 };
  if (probe.kind === 'download' || probe.kind === 'upload') r.bytes = probe.size!;
  if (probe.kind === 'status') r.posts = [{ ms: 2, ok: true }, { ms: 2, ok: true }];
  if (probe.kind === 'hold') r.hold = { idleMs: 4000, push: true, pong: true };
  return r;
}

function ledgerFor(id: string): LedgerRequest {
  return {
    node: 'n1', probe: id, proto: 'http', listener: { address: CONTROLLER, port: 63001 }, peer: { address: NODE_ADDR, port: 40000 },
    method: 'GET', at: 1, bytesPlanned: 0, bytesWritten: 0, bytesReceived: 0, completed: true, aborted: false,
  };
}

/** Every probe ok except the overrides given (by probe id). */
function evidence(overrides: Partial<Record<string, Partial<ProbeResult>>> = {}, extra: Partial<NodeEvidence> = {}): NodeEvidence {
  const results = plan.probes.map((p) => ({ ...okResult(p.id), ...overrides[p.id] }) as ProbeResult);
  return {
    name: 'n1',
    addresses: [NODE_ADDR],
    profile: 'linux',
    callbackAddresses: [CONTROLLER],
    probes: plan.probes,
    session: OK_SESSION,
    events: [AGENT, FACTS, ...results, DONE],
    ledger: [],
    forward: [{ address: NODE_ADDR, port: 22, probe: 'tcp' as const, purpose: 'ssh', result: { outcome: 'open', ms: 1 } }],
    ...extra,
  };
}

function sshFailure(exitCode: number | null, stderr: string, more: Partial<SessionEvidence> = {}): NodeEvidence {
  return evidence({}, { session: { ...OK_SESSION, exitCode, stderr, ...more }, events: [] });
}

function synSeen(remote: string, port: number): HalfOpenView {
  return { measured: true, sightings: [{ remote, local: CONTROLLER, port, firstAt: 100, lastAt: 900, connections: 1 }] };
}

const httpPath = (verdictOf: ReturnType<typeof classifyNode>) => verdictOf.paths.find((p) => p.direction === 'callback' && p.proto === 'http')!;
const httpsPath = (verdictOf: ReturnType<typeof classifyNode>) => verdictOf.paths.find((p) => p.direction === 'callback' && p.proto === 'https')!;

/** The status probe's two posts: the first acknowledged, the second not. */
const SECOND_POST_FAILED = [{ ms: 2, ok: true }, { ms: 3000, ok: false }];

function statusPost(seq: number, more: Partial<LedgerRequest> = {}): LedgerRequest {
  return { ...ledgerFor('status-http-0'), method: 'POST', seq, ...more };
}

/** The listener's record of a connection from the node's `port` to the controller's `listenerPort`. */
function accepted(port: number, listenerPort: number, more: Partial<LedgerConnection> = {}): LedgerConnection {
  return { proto: listenerPort === 63002 ? 'https' : 'http', peer: { address: NODE_ADDR, port }, listener: { address: CONTROLLER, port: listenerPort }, at: 120, ...more };
}

/** Every probe on the http path did not start (agent deadline), except the overrides. */
function onlyThese(overrides: Record<string, Partial<ProbeResult>>): Record<string, Partial<ProbeResult>> {
  const notStarted: Partial<ProbeResult> = { outcome: 'error', phase: 'connect', ms: 0, error: { code: 'TWOWAY_NOT_STARTED', message: 'x' } };
  return { ...Object.fromEntries(httpProbes.filter((p) => p.alternate !== true).map((p) => [p.id, notStarted])), ...overrides };
}

interface Row {
  name: string;
  input: NodeEvidence;
  node: VerdictKind;
  http?: VerdictKind;
  check?: (r: ReturnType<typeof classifyNode>) => void;
}

const ROWS: Row[] = [
  { name: 'all probes pass', input: evidence(), node: 'ok', http: 'ok' },
  {
    name: 'connect timeout and the ledger saw nothing',
    input: evidence({ 'hello-http-0': { outcome: 'timeout', phase: 'connect', ms: 3000 } }),
    node: 'blocked',
    http: 'blocked',
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
      assert.equal(httpPath(r).evidence.largestPassingDownload, 1024);
      assert.equal(httpPath(r).evidence.stallAt, 1448);
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
      assert.equal(httpPath(r).evidence.stallAt, 0);
      assert.equal(httpPath(r).evidence.listenerBytesWritten, 65536);
      assert.equal(httpPath(r).evidence.largestPassingDownload, 1024);
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
      assert.equal(httpPath(r).evidence.stallAt, 2800, 'the offset is what the controller received, not what the node handed its kernel');
      assert.equal(httpPath(r).evidence.largestPassingUpload, 65536);
      assert.match(httpPath(r).summary, /upload of 1 MiB stalled at byte 2800 \(the agent had sent 1048576, the listener received 2800\)/);
    },
  },
  {
    name: 'a stall with nothing smaller passing is not called an MTU black hole',
    input: evidence(
      Object.fromEntries(plan.probes.filter((p) => p.proto === 'http' && p.alternate !== true).map((p) => [p.id, { outcome: 'no-response', phase: 'response' } as Partial<ProbeResult>])),
    ),
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
      assert.equal(httpPath(r).evidence.listenerPushSent, true);
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
    input: evidence(
      Object.fromEntries(plan.probes.filter((p) => p.proto === 'http' && p.alternate !== true).map((p) => [p.id, { outcome: 'timeout', phase: 'connect' } as Partial<ProbeResult>])),
      { controllerHalfOpen: synSeen(NODE_ADDR, 63001) },
    ),
    node: 'return-path-lost',
    http: 'return-path-lost',
    check: (r) => {
      assert.match(httpPath(r).summary, /the controller got the SYN from 10\.9\.1\.2 \(SYN_RECV on port 63001\), its SYN-ACK never reached the node/);
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
      assert.equal(httpPath(r).evidence.statusPost, 2);
      assert.equal(httpPath(r).evidence.ledgerSawRequest, false, 'post 1 in the ledger says nothing about post 2');
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
      assert.deepEqual([httpPath(r).evidence.ledgerSawRequest, httpPath(r).evidence.ledgerCompleted], [true, true]);
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
      assert.equal(httpPath(r).evidence.stallAt, 2800, 'where the listener stopped receiving, not what the node handed its kernel');
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
      assert.deepEqual(httpPath(r).evidence.listenerConnection, { accepted: true, at: 120, from: { address: NODE_ADDR, port: 41001 } });
    },
  },
  {
    name: 'connect timeout, and the listener\'s only connection from that endpoint was to another port',
    input: evidence({ 'hello-http-0': { outcome: 'timeout', phase: 'connect', ms: 3000, local: { address: NODE_ADDR, port: 41001 }, seen: undefined } }, { connections: { complete: true, records: [accepted(41001, 63002)] } }),
    node: 'blocked',
    http: 'blocked',
    check: (r) => assert.deepEqual(httpPath(r).evidence.listenerConnection, { accepted: false, agentLocal: { address: NODE_ADDR, port: 41001 } }),
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
      assert.deepEqual(httpsPath(r).evidence.listenerConnection, { accepted: true, at: 120, from: { address: NODE_ADDR, port: 41002 }, tls: 'failed', tlsError: 'ERR_SSL_NO_SHARED_CIPHER: no shared cipher' });
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
      assert.equal(httpsPath(r).evidence.listenerConnection, undefined);
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
      assert.ok((httpPath(r).evidence.throughputMbps as number) < DEFAULT_THRESHOLDS.minMbps);
      // 1 GiB at 1048576 B / 4.2 s: 4300.8 s.
      assert.equal(httpPath(r).evidence.firmwareEstimateSec, 4301);
      assert.match(httpPath(r).summary, /a 1 GiB firmware bundle would take about 72 min/);
    },
  },
  {
    name: 'the probe deadline passed while bytes still flowed',
    input: evidence({ 'dl-http-0-1048576': { outcome: 'stalled', phase: 'body', bytes: 400000, ms: 60000, error: { code: 'TWOWAY_PROBE_DEADLINE', message: 'x' } } }),
    node: 'slow',
    http: 'slow',
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
    check: (r) => assert.deepEqual(httpPath(r).evidence.seen, { address: '10.9.0.254', port: 5555 }),
  },
  { name: 'certificate fingerprint differs', input: evidence({ 'hello-https-0': { outcome: 'tls-mismatch', phase: 'tls', fingerprint: 'CC:DD' } }), node: 'tls-intercepted' },
  { name: 'TLS handshake fails', input: evidence({ 'hello-https-0': { outcome: 'tls-error', phase: 'tls' } }), node: 'tls-failed' },
  { name: 'run interrupted before the node', input: evidence({}, { session: undefined, events: [] }), node: 'not-measured', http: 'not-measured' },
  { name: 'ssh connect timeout', input: sshFailure(255, 'ssh: connect to host 10.9.1.2 port 22: Connection timed out'), node: 'ssh-unreachable', http: 'not-measured' },
  { name: 'ssh no route', input: sshFailure(255, 'ssh: connect to host 10.9.1.2 port 22: No route to host'), node: 'ssh-unreachable' },
  { name: 'ssh refused', input: sshFailure(255, 'ssh: connect to host 10.9.1.2 port 22: Connection refused'), node: 'ssh-refused' },
  { name: 'ssh auth failed', input: sshFailure(255, 'root@10.9.1.2: Permission denied (publickey).'), node: 'ssh-auth-failed' },
  {
    name: 'host key changed',
    input: sshFailure(255, '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.'),
    node: 'ssh-hostkey-mismatch',
  },
  {
    name: 'host key unknown under strict checking',
    input: sshFailure(255, 'No ED25519 host key is known for 10.9.1.2 and you have requested strict checking.\nHost key verification failed.'),
    node: 'ssh-hostkey-unknown',
  },
  { name: 'no runtime on PATH', input: sshFailure(127, 'twoway: no agent runtime on PATH (looked for node, python3 >= 3.6)'), node: 'agent-no-runtime' },
  {
    name: 'a forced runtime the node lacks',
    input: sshFailure(1, 'twoway: no agent flavour chosen', { runtimeProblem: 'runtime "python" was asked for, but the node has no python3 >= 3.6 on the PATH of SSH sessions (found: curl)' }),
    node: 'agent-no-runtime',
    check: (r) => assert.match(String(r.nodeEvidence?.runtimeProblem), /runtime "python" was asked for/),
  },
  { name: 'agent wrote garbage', input: evidence({}, { session: { ...OK_SESSION, invalidOutput: 'not JSON' } }), node: 'agent-failed' },
  {
    name: 'agent started but never finished',
    input: evidence({}, { session: { ...OK_SESSION, exitCode: null, timedOut: true }, events: [AGENT, FACTS] }),
    node: 'agent-timeout',
    http: 'not-measured',
  },
];

for (const row of ROWS) {
  test(`classify: ${row.name} -> ${row.node}`, () => {
    const report = classifyNode(row.input);
    assert.equal(report.verdict, row.node);
    if (row.http !== undefined) assert.equal(httpPath(report).verdict, row.http);
    row.check?.(report);
  });
}

test('classify: forward outcomes map to path verdicts', () => {
  const forward = (['open', 'refused', 'timeout', 'unreachable'] as const).map((outcome, i) => ({
    address: NODE_ADDR,
    port: 1000 + i,
    probe: 'tcp' as const,
    purpose: 'test',
    result: { outcome, ms: 1 },
  }));
  const report = classifyNode(evidence({}, { forward }));
  assert.deepEqual(
    report.paths.filter((p) => p.direction === 'forward').map((p) => p.verdict),
    ['ok', 'rejected', 'blocked', 'no-route'],
  );
});

test('classify: a forward timeout with the SYN half-open on the node is return-path-lost', () => {
  const forward = [{ address: NODE_ADDR, port: 22, probe: 'tcp' as const, purpose: 'ssh', result: { outcome: 'timeout' as const, ms: 3000 } }];
  const halfOpen: AgentEvent = { t: 'halfopen', measured: true, entries: [{ local: { address: NODE_ADDR, port: 22 }, remote: { address: CONTROLLER, port: 41000 } }] };
  const input = evidence({}, { forward });
  const withSyn = classifyNode({ ...input, events: [...input.events.slice(0, -1), halfOpen, DONE] });
  assert.equal(withSyn.paths.find((p) => p.direction === 'forward')?.verdict, 'return-path-lost');
  assert.equal(withSyn.verdict, 'return-path-lost');
  assert.equal(classifyNode(input).paths.find((p) => p.direction === 'forward')?.verdict, 'blocked');
});

test('classify: the table covers every verdict kind', () => {
  const seen = new Set<VerdictKind>();
  for (const row of ROWS) {
    const report = classifyNode(row.input);
    seen.add(report.verdict);
    for (const p of report.paths) seen.add(p.verdict);
  }
  assert.deepEqual(VERDICT_KINDS.filter((k) => !seen.has(k)), []);
});

test('plan: the http ladder has hello, downloads and uploads per size, status and the alternate hello; holds first', () => {
  assert.deepEqual(
    httpProbes.map((p) => p.id),
    ['hold-http-0', 'hello-http-0', 'dl-http-0-1024', 'dl-http-0-65536', 'dl-http-0-1048576', 'ul-http-0-1024', 'ul-http-0-65536', 'ul-http-0-1048576', 'status-http-0', 'alt-http-0'],
  );
  assert.equal(plan.probes.find((p) => p.id === 'alt-http-0')?.port, 80);
  assert.equal(plan.concurrency, 4 + 2, 'each hold gets a slot of its own');
  assert.ok(plan.deadlines.totalMs >= SETTINGS.holdMs + DEFAULT_DEADLINES.connectMs + DEFAULT_DEADLINES.stallMs);
});

test('plan: a dual-homed node calls back from each of its addresses; no hold or alternates when off', () => {
  const dual = buildPlan({ node: 'd', token: 't', callbackAddresses: [CONTROLLER], sources: ['10.9.4.2', '10.9.5.2'] }, DIGESTS, {
    ...SETTINGS,
    holdMs: 0,
    alternates: {},
  });
  const hellos = dual.probes.filter((p) => p.kind === 'hello');
  assert.deepEqual(
    hellos.map((p) => [p.id, p.source]),
    [
      ['hello-http-0-s0', '10.9.4.2'],
      ['hello-https-0-s0', '10.9.4.2'],
      ['hello-http-0-s1', '10.9.5.2'],
      ['hello-https-0-s1', '10.9.5.2'],
    ],
  );
  assert.equal(dual.probes.some((p) => p.kind === 'hold' || p.alternate === true), false);
  assert.equal(dual.deadlines.totalMs, DEFAULT_DEADLINES.totalMs);
});

test('classify: a dual-homed node reports which controller address each NIC can use', () => {
  const dual = buildPlan({ node: 'd', token: 't', callbackAddresses: [CONTROLLER], sources: [NODE_ADDR, '10.9.4.2'] }, DIGESTS, { ...SETTINGS, holdMs: 0 });
  const results = dual.probes.map((p): ProbeResult =>
    p.source === '10.9.4.2' && p.alternate !== true ? { t: 'probe', id: p.id, outcome: 'timeout', phase: 'connect', ms: 3000 } : { t: 'probe', id: p.id, outcome: 'ok', phase: 'body', ms: 3, bytes: p.size ?? 10, seen: { address: p.source ?? NODE_ADDR, port: 1 } },
  );
  const facts: AgentEvent = { t: 'facts', hostname: 'd', addresses: [{ iface: 'prod', address: NODE_ADDR, family: 'IPv4' }, { iface: 'mgmt', address: '10.9.4.2', family: 'IPv4' }], routes: [] };
  const report = classifyNode({ ...evidence(), addresses: [NODE_ADDR, '10.9.4.2'], probes: dual.probes, events: [AGENT, facts, ...results, DONE] });
  assert.deepEqual(report.nics, [
    { address: NODE_ADDR, iface: 'prod', reaches: [CONTROLLER], fails: [] },
    { address: '10.9.4.2', iface: 'mgmt', reaches: [], fails: [CONTROLLER] },
  ]);
  const mgmt = report.paths.filter((p) => p.direction === 'callback' && p.from === '10.9.4.2');
  assert.deepEqual(mgmt.map((p) => p.verdict), ['blocked', 'blocked']);
  assert.deepEqual(mgmt[0]?.evidence.alternates, [
    { proto: 'http', port: 80, outcome: 'ok' },
    { proto: 'https', port: 443, outcome: 'ok' },
  ]);
});
