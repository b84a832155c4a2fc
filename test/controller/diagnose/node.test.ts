/** One node's assembly: paths of a node never reached, NIC reach of a dual-homed node, agentless devices. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { CONTROLLER, NODE_ADDR, dualHomed, evidence, httpPath, judged } from '../../helpers/diagnose-input.js';
import { evidenceOf } from '../../helpers/evidence.js';

test('classify: run interrupted before the node -> not-measured', () => {
  const report = diagnoseNode(evidence({}, { session: undefined, events: [] }));
  assert.equal(report.verdict, 'not-measured');
  assert.equal(httpPath(report).verdict, 'not-measured');
  assert.equal(httpPath(report).summary, 'run interrupted before this node');
  assert.deepEqual(httpPath(report).evidence, { kind: 'not-run' });
  assert.equal(report.nodeVerdict, undefined);
});

test('node: SSH failed: every callback path is not run, with the node verdict as the reason', () => {
  const report = diagnoseNode(evidence({}, { session: { exitCode: 255, stderr: 'Connection refused', timedOut: false, interrupted: false, ms: 5 }, events: [] }));
  assert.equal(report.nodeVerdict, 'ssh-refused');
  for (const p of report.paths.filter((x) => x.direction === 'callback')) {
    assert.equal(p.summary, 'no agent results (SSH refused)');
    evidenceOf(p, 'not-run');
  }
});

test('classify: a dual-homed node reports which controller address each NIC can use', () => {
  const report = dualHomed();
  assert.deepEqual(report.nics, [
    { address: NODE_ADDR, iface: 'prod', reaches: [CONTROLLER], fails: [] },
    { address: '10.9.4.2', iface: 'mgmt', reaches: [], fails: [CONTROLLER] },
  ]);
  const mgmt = report.paths.filter((p) => p.direction === 'callback' && p.from === '10.9.4.2');
  assert.deepEqual(mgmt.map((p) => p.verdict), ['blocked', 'blocked']);
  assert.deepEqual(evidenceOf(mgmt[0], 'probe').alternates, [
    { proto: 'http', port: 80, outcome: 'ok' },
    { proto: 'https', port: 443, outcome: 'ok' },
  ]);
});

test('classify: an agentless node is judged by its forward paths alone, and says it is agentless', () => {
  const report = diagnoseNode(
    judged({
      name: 'ilo1',
      addresses: ['10.0.0.9'],
      profile: 'ilo',
      callbackAddresses: ['10.0.0.1'],
      probes: [],
      events: [],
      ledger: [],
      agentless: true,
      ms: 40,
      forward: [
        { address: '10.0.0.9', port: 443, probe: 'https', purpose: 'web', needs: 'service' as const, result: { outcome: 'tls-error', ms: 5, error: { code: 'ECONNRESET', message: 'reset during handshake' } } },
        { address: '10.0.0.9', port: 22, probe: 'tcp', purpose: 'ssh', needs: 'service' as const, result: { outcome: 'open', ms: 2 } },
      ],
    }),
  );
  assert.equal(report.agentless, true);
  assert.equal(report.nodeVerdict, undefined, 'no SSH verdict for a device nothing is deployed on');
  assert.deepEqual(report.paths.map((p) => `${p.direction} ${p.port}/${p.proto} ${p.verdict}`), ['forward 443/https tls-failed', 'forward 22/tcp ok']);
  assert.equal(report.verdict, 'tls-failed');
  assert.equal(report.ms, 40);
});
