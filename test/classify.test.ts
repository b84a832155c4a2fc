/**
 * Classification, table-driven: each row is flat evidence and the verdict it must give. The last
 * test checks that the table covers every kind in the closed union.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyNode, DEFAULT_THRESHOLDS, type NodeEvidence, type SessionEvidence } from '../controller/classify.js';
import type { LedgerRequest } from '../controller/ledger.js';
import { buildPlan, DEFAULT_DEADLINES } from '../controller/plan.js';
import type { AgentEvent, ProbeResult } from '../src/protocol.js';
import { VERDICT_KINDS, type VerdictKind } from '../src/verdicts.js';

const CONTROLLER = '10.9.0.1';
const NODE_ADDR = '10.9.1.2';
const plan = buildPlan('n1', 'tok', [CONTROLLER], () => 'sha', {
  runId: 'r',
  sizes: [1024, 65536, 1048576],
  httpPort: 63001,
  httpsPort: 63002,
  statusPosts: 2,
  statusIntervalMs: 10,
  deadlines: DEFAULT_DEADLINES,
  agentConcurrency: 4,
  fingerprint256: 'AA:BB',
});
const httpProbes = plan.probes.filter((p) => p.proto === 'http');

const OK_SESSION: SessionEvidence = { exitCode: 0, stderr: '', timedOut: false, interrupted: false, ms: 900 };
const AGENT: AgentEvent = { t: 'agent', flavour: 'node', version: '0.1.0', runtime: 'v20', platform: 'linux' };
const FACTS: AgentEvent = { t: 'facts', hostname: 'n1', addresses: [{ iface: 'eth0', address: NODE_ADDR, family: 'IPv4' }], routes: [{ to: CONTROLLER, source: NODE_ADDR, iface: 'eth0' }] };
const DONE: AgentEvent = { t: 'done', ms: 800 };

function okResult(id: string): ProbeResult {
  const probe = plan.probes.find((p) => p.id === id)!;
  const r: ProbeResult = { t: 'probe', id, outcome: 'ok', phase: 'body', ms: 5, local: { address: NODE_ADDR, port: 40000 } };
  if (probe.kind === 'hello') r.seen = { address: NODE_ADDR, port: 40000 };
  if (probe.kind === 'download') r.bytes = probe.size!;
  if (probe.kind === 'status') r.posts = [{ ms: 2, ok: true }, { ms: 2, ok: true }];
  return r;
}

function ledgerFor(id: string): LedgerRequest {
  return {
    node: 'n1', probe: id, proto: 'http', listener: { address: CONTROLLER, port: 63001 }, peer: { address: NODE_ADDR, port: 40000 },
    method: 'GET', at: 1, bytesPlanned: 0, bytesWritten: 0, completed: true, aborted: false,
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
    forward: [{ address: NODE_ADDR, port: 22, purpose: 'ssh', result: { outcome: 'open', ms: 1 } }],
    ...extra,
  };
}

function sshFailure(exitCode: number | null, stderr: string, more: Partial<SessionEvidence> = {}): NodeEvidence {
  return evidence({}, { session: { ...OK_SESSION, exitCode, stderr, ...more }, events: [] });
}

const httpPath = (verdictOf: ReturnType<typeof classifyNode>) => verdictOf.paths.find((p) => p.direction === 'callback' && p.proto === 'http')!;

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
    node: 'stalled',
    http: 'stalled',
    check: (r) => {
      assert.equal(httpPath(r).evidence.largestPassing, 1024);
      assert.equal(httpPath(r).evidence.stallAt, 1448);
    },
  },
  {
    name: 'hello passes, a 64 KiB answer never arrives although the listener sent it',
    input: evidence(
      { 'dl-http-0-65536': { outcome: 'no-response', phase: 'response', bytes: 0 }, 'dl-http-0-1048576': { outcome: 'no-response', phase: 'response' } },
      { ledger: [{ ...ledgerFor('dl-http-0-65536'), bytesWritten: 65536 }] },
    ),
    node: 'stalled',
    http: 'stalled',
    check: (r) => {
      assert.equal(httpPath(r).evidence.stallAt, 0);
      assert.equal(httpPath(r).evidence.listenerBytesWritten, 65536);
      assert.equal(httpPath(r).evidence.largestPassing, 1024);
    },
  },
  { name: 'connection closed mid-body', input: evidence({ 'dl-http-0-65536': { outcome: 'truncated', phase: 'body', bytes: 30000 } }), node: 'truncated' },
  {
    name: 'a 1 MiB download at 2 Mbit/s',
    input: evidence({ 'dl-http-0-1048576': { ms: 4200 } }),
    node: 'slow',
    http: 'slow',
    check: (r) => assert.ok((httpPath(r).evidence.throughputMbps as number) < DEFAULT_THRESHOLDS.minMbps),
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
  { name: 'no node on PATH', input: sshFailure(127, 'twoway: no node runtime on PATH'), node: 'agent-no-runtime' },
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
  const forward = [{ address: NODE_ADDR, port: 22, purpose: 'ssh', result: { outcome: 'timeout' as const, ms: 3000 } }];
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

test('classify: the http ladder has one probe per size plus hello and status', () => {
  assert.deepEqual(
    httpProbes.map((p) => p.id),
    ['hello-http-0', 'dl-http-0-1024', 'dl-http-0-65536', 'dl-http-0-1048576', 'status-http-0'],
  );
});
