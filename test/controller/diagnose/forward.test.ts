/** Forward paths: the prober's outcome as a verdict, the node's half-open SYN, the service's own words. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceSummary } from '../../../controller/diagnose/forward.js';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import type { AgentEvent } from '../../../src/protocol.js';
import { CONTROLLER, DONE, NODE_ADDR, evidence } from '../../helpers/diagnose-input.js';
import { evidenceOf } from '../../helpers/evidence.js';

test('classify: forward outcomes map to path verdicts', () => {
  const forward = (['open', 'refused', 'timeout', 'unreachable'] as const).map((outcome, i) => ({
    address: NODE_ADDR,
    port: 1000 + i,
    probe: 'tcp' as const,
    purpose: 'test',
    result: { outcome, ms: 1 },
  }));
  const report = diagnoseNode(evidence({}, { forward }));
  assert.deepEqual(
    report.paths.filter((p) => p.direction === 'forward').map((p) => p.verdict),
    ['ok', 'rejected', 'blocked', 'no-route'],
  );
});

test('classify: a forward timeout with the SYN half-open on the node is return-path-lost', () => {
  const forward = [{ address: NODE_ADDR, port: 22, probe: 'tcp' as const, purpose: 'ssh', result: { outcome: 'timeout' as const, ms: 3000 } }];
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
  const forward = [{ address: NODE_ADDR, port: 443, probe: 'https' as const, purpose: 'web', result: { outcome: 'open' as const, ms: 7, details: { http: { status: 301, server: 'HP-iLO-Server/1.30', location: '/index.html' }, tls } } }];
  const path = diagnoseNode(evidence({}, { forward })).paths.find((p) => p.direction === 'forward');
  assert.equal(path?.summary, 'port 443 open (7 ms); HTTP 301 (HP-iLO-Server/1.30); TLSv1.3, certificate ilo1, self-signed, 30 days left');
  const e = evidenceOf(path, 'forward');
  assert.deepEqual([e.purpose, e.probe, e.outcome, e.http?.status, e.tls?.certificate?.selfSigned], ['web', 'https', 'open', 301, true]);
  assert.equal(serviceSummary({ netbios: { names: [{ name: 'SRV1', suffix: 0, group: false }, { name: 'SRV1', suffix: 0x20, group: false }] } }), '; NetBIOS names: SRV1');
  assert.equal(serviceSummary(undefined), '');
});
