/** Forward paths: the prober's outcome as a verdict, the node's half-open SYN, the service's own words. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceSummary } from '../../../controller/diagnose/forward.js';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import type { AgentEvent } from '../../../src/protocol.js';
import { CONTROLLER, DONE, NODE_ADDR, evidence } from '../../helpers/diagnose-input.js';
import { evidenceOf } from '../../helpers/evidence.js';

test('classify: forward outcomes map to path verdicts', () => {
  // Each on its own address: an address that answers one port is not unreachable on another (see below).
  const forward = (['open', 'timeout', 'unreachable'] as const).map((outcome, i) => ({
    address: `10.9.1.${70 + i}`,
    port: 1000 + i,
    probe: 'tcp' as const,
    purpose: 'test',
    needs: 'path' as const,
    result: { outcome, ms: 1 },
  }));
  const report = diagnoseNode(evidence({}, { forward }));
  assert.deepEqual(
    report.paths.filter((p) => p.direction === 'forward').map((p) => p.verdict),
    ['ok', 'blocked', 'no-route'],
  );
});

const LISTENING_ON_443: AgentEvent = { t: 'halfopen', measured: true, entries: [], listening: { measured: true, sockets: [{ address: '0.0.0.0', port: 22 }, { address: NODE_ADDR, port: 443 }] } };
const LISTENING_SSH_ONLY: AgentEvent = { t: 'halfopen', measured: true, entries: [], listening: { measured: true, sockets: [{ address: '::', port: 22 }, { address: '127.0.0.1', port: 443 }] } };
const LISTENING_UNMEASURED: AgentEvent = { t: 'halfopen', measured: false, entries: [], listening: { measured: false, reason: 'no /proc/net/tcp on this node', sockets: [] } };
const OLD_AGENT: AgentEvent = { t: 'halfopen', measured: true, entries: [] };

/** One forward probe of 443 (plus SSH open on 22) judged with the node's socket table. */
function judge443(outcome: 'refused' | 'unreachable', needs: 'service' | 'path', table: AgentEvent | undefined, more: { agentless?: boolean; sshAnswers?: boolean } = {}) {
  const code = outcome === 'refused' ? 'ECONNREFUSED' : 'EHOSTUNREACH';
  const forward = [
    { address: NODE_ADDR, port: 443, probe: 'tcp' as const, purpose: 'secure data transfer', needs, result: { outcome, ms: 1, error: { code, message: code } } },
    ...(more.sshAnswers === false ? [] : [{ address: NODE_ADDR, port: 22, probe: 'tcp' as const, purpose: 'ssh', needs: 'service' as const, result: { outcome: 'open' as const, ms: 1 } }]),
  ];
  const input = evidence({}, { forward });
  const events = table === undefined ? input.events : [...input.events.slice(0, -1), table, DONE];
  const agentless = more.agentless === true ? { agentless: true, events: [], session: undefined, probes: [] } : {};
  const node = diagnoseNode({ ...input, events, ...agentless, ...(more.sshAnswers === false ? { session: undefined } : {}) });
  return { node, path: node.paths.find((p) => p.direction === 'forward' && p.port === 443)! };
}

test('forward: a reset is judged with the node\'s own listeners and what the port needs', () => {
  const cases: [string, Parameters<typeof judge443>, string][] = [
    ['path-only, nothing listens: closed', ['refused', 'path', LISTENING_SSH_ONLY], 'closed'],
    ['service, nothing listens: service-down', ['refused', 'service', LISTENING_SSH_ONLY], 'service-down'],
    ['path-only, a listener on that address: rejected', ['refused', 'path', LISTENING_ON_443], 'rejected'],
    ['service, a listener: rejected', ['refused', 'service', LISTENING_ON_443], 'rejected'],
    ['path-only, the agent could not read its sockets: not-measured', ['refused', 'path', LISTENING_UNMEASURED], 'not-measured'],
    ['path-only, an agent that does not report listeners: not-measured', ['refused', 'path', OLD_AGENT], 'not-measured'],
    ['path-only, no socket table at all: not-measured', ['refused', 'path', undefined], 'not-measured'],
    ['service, agentless: service-down', ['refused', 'service', undefined, { agentless: true }], 'service-down'],
    ['path-only, agentless: not-measured', ['refused', 'path', undefined, { agentless: true }], 'not-measured'],
    ['ICMP unreachable while SSH answers on the address: rejected', ['unreachable', 'path', LISTENING_SSH_ONLY], 'rejected'],
    ['ICMP unreachable and nothing else answers: no-route', ['unreachable', 'path', undefined, { sshAnswers: false }], 'no-route'],
  ];
  for (const [name, args, expected] of cases) assert.equal(judge443(...args).path.verdict, expected, name);
});

test('forward: the summary and evidence say which side was seen', () => {
  const closed = judge443('refused', 'path', LISTENING_SSH_ONLY).path;
  assert.match(closed.summary, /nothing listens on it on the node\): the path works/);
  assert.deepEqual(evidenceOf(closed, 'forward').nodeListening, { measured: true, on: [] });
  const rejected = judge443('refused', 'path', LISTENING_ON_443).path;
  assert.match(rejected.summary, /while the node listens on 10\.9\.1\.2:443/);
  assert.deepEqual(evidenceOf(rejected, 'forward').nodeListening?.on, [{ address: NODE_ADDR, port: 443 }]);
  const agentless = judge443('refused', 'service', undefined, { agentless: true }).path;
  assert.match(agentless.summary, /node's own view was not measured \(the node runs no agent\)/);
  const unmeasured = judge443('refused', 'path', LISTENING_UNMEASURED).path;
  assert.match(unmeasured.summary, /not measured \(no \/proc\/net\/tcp on this node\)/);
  const icmp = judge443('unreachable', 'path', undefined).path;
  assert.equal(evidenceOf(icmp, 'forward').icmpReject, true);
  assert.match(icmp.summary, /firewall rejects this port with an ICMP error/);
});

test('node verdict: information never colours a node; a warning shows only without a fault', () => {
  assert.equal(judge443('refused', 'path', LISTENING_SSH_ONLY).node.verdict, 'ok');
  assert.equal(judge443('refused', 'path', LISTENING_UNMEASURED).node.verdict, 'not-measured');
  assert.equal(judge443('refused', 'service', LISTENING_SSH_ONLY).node.verdict, 'service-down');
});

test('classify: a forward timeout with the SYN half-open on the node is return-path-lost', () => {
  const forward = [{ address: NODE_ADDR, port: 22, probe: 'tcp' as const, purpose: 'ssh', needs: 'service' as const, result: { outcome: 'timeout' as const, ms: 3000 } }];
  const halfOpen: AgentEvent = { t: 'halfopen', measured: true, entries: [{ local: { address: NODE_ADDR, port: 22 }, remote: { address: CONTROLLER, port: 41000 } }] };
  const input = evidence({}, { forward });
  const withSyn = diagnoseNode({ ...input, events: [...input.events.slice(0, -1), halfOpen, DONE] });
  const path = withSyn.paths.find((p) => p.direction === 'forward');
  assert.equal(path?.verdict, 'return-path-lost');
  assert.deepEqual(evidenceOf(path, 'forward').nodeHalfOpen?.remote, { address: CONTROLLER, port: 41000 });
  assert.equal(withSyn.verdict, 'return-path-lost');
  assert.equal(diagnoseNode(input).paths.find((p) => p.direction === 'forward')?.verdict, 'blocked');
});

test('forward: an answering web interface says what it is, in the summary and as typed evidence', () => {
  const tls = {
    protocol: 'TLSv1.3',
    cipher: 'TLS_AES_256_GCM_SHA384',
    certificate: { subject: 'ilo1', issuer: 'ilo1', subjectAltName: null, validFrom: '2026-01-01T00:00:00.000Z', validTo: '2027-01-01T00:00:00.000Z', expired: false, daysLeft: 30, selfSigned: true, fingerprint256: 'AA' },
  };
  const forward = [{ address: NODE_ADDR, port: 443, probe: 'https' as const, purpose: 'web', needs: 'service' as const, result: { outcome: 'open' as const, ms: 7, details: { http: { status: 301, server: 'HP-iLO-Server/1.30', location: '/index.html' }, tls } } }];
  const path = diagnoseNode(evidence({}, { forward })).paths.find((p) => p.direction === 'forward');
  assert.equal(path?.summary, 'port 443 open (7 ms); HTTP 301 (HP-iLO-Server/1.30); TLSv1.3, certificate ilo1, self-signed, 30 days left');
  const e = evidenceOf(path, 'forward');
  assert.deepEqual([e.purpose, e.probe, e.outcome, e.http?.status, e.tls?.certificate?.selfSigned], ['web', 'https', 'open', 301, true]);
  assert.equal(serviceSummary({ netbios: { names: [{ name: 'SRV1', suffix: 0, group: false }, { name: 'SRV1', suffix: 0x20, group: false }] } }), '; NetBIOS names: SRV1');
  assert.equal(serviceSummary(undefined), '');
});
