/** `--callbacks off` (callbacks the update manager does not need are not tested at all, and say so as information) and the manager per node. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnoseNode } from '../../../controller/diagnose/node.js';
import { managerFor, notTestedCallbacks, ownManager, skippedCallbacks, usesFtp, webCallbacks } from '../../../controller/run/node-setup.js';
import { buildPlan } from '../../../controller/run/plan.js';
import { mediaProbes } from '../../../controller/run/redfish-node.js';
import type { NodeSpec } from '../../../src/inventory/types.js';
import { UPDATE_MANAGERS } from '../../../src/managers.js';
import { BUILT_IN_PROFILES } from '../../../src/profiles.js';
import { classCounts, pathClass } from '../../../src/report.js';
import { CONTROLLER, DIGESTS, SETTINGS, evidence, okResult, AGENT, FACTS, DONE } from '../../helpers/diagnose-input.js';

const FTP = { all: false, controlPort: 21, dataPorts: { first: 63006, last: 63010 } };
const PORTS = { http: 63001, https: 63002, ftp: 21 };
const node = (profile: string, more: Partial<NodeSpec> = {}): NodeSpec => ({ name: `${profile}1`, addresses: ['10.9.1.2'], profile, from: { file: 'inv.yaml', line: 1 }, ...more });
const run = (manager: string, callbacks: 'auto' | 'off', ftp = FTP) => ({ profiles: BUILT_IN_PROFILES, manager: UPDATE_MANAGERS[manager]!, callbacks, ftp });

test('callbacks off: sum7 leaves both web callbacks of a Linux node untested, each with why', () => {
  const options = run('sum7', 'off');
  assert.deepEqual(webCallbacks(options, node('linux')), []);
  assert.deepEqual(notTestedCallbacks(options, node('linux'), PORTS), [
    { proto: 'http', port: 63001, why: 'HPE SUM 7.3+ needs no http callback from linux nodes' },
    { proto: 'https', port: 63002, why: 'HPE SUM 7.3+ needs no https callback from linux nodes' },
  ]);
});

test('callbacks off: a VMware node under sum7 still makes the http callback the manager needs', () => {
  const options = run('sum7', 'off');
  assert.deepEqual(webCallbacks(options, node('vmware')), ['http']);
  assert.deepEqual(notTestedCallbacks(options, node('vmware'), PORTS).map((c) => c.proto), ['https']);
});

test('callbacks auto (the default): every callback is tested, none is left out', () => {
  for (const callbacks of ['auto', undefined] as const) {
    const options = { ...run('sum7', 'auto'), callbacks };
    assert.deepEqual(webCallbacks(options, node('linux')), ['http', 'https']);
    assert.deepEqual(notTestedCallbacks(options, node('linux'), PORTS), []);
    assert.deepEqual(skippedCallbacks(options, node('linux')), {});
  }
});

test('callbacks off: an FTP callback the manager does not need opens no FTP listener for the node', () => {
  const all = { ...FTP, all: true };
  assert.equal(usesFtp(run('sum7', 'auto', all), node('linux')), true);
  assert.equal(usesFtp(run('sum7', 'off', all), node('linux')), false);
  assert.deepEqual(notTestedCallbacks(run('sum7', 'off', all), node('linux'), PORTS).map((c) => [c.proto, c.port]), [['http', 63001], ['https', 63002], ['ftp', 21]]);
  assert.equal(usesFtp(run('hpsum6', 'off', all), node('linux')), true, 'hpsum6 needs every callback the profile makes');
});

test('callbacks off: agentless devices without Redfish had nothing to test, a BMC with Redfish fetches only what the manager needs', () => {
  assert.deepEqual(notTestedCallbacks(run('sum7', 'off'), node('ilo'), PORTS), []);
  const bmc = node('bmc', { redfish: { user: 'u', password: { env: 'P' }, trust: { fingerprint256: 'AA' } } as NodeSpec['redfish'] });
  assert.deepEqual(webCallbacks(run('sum7', 'off'), bmc), ['http']);
  assert.deepEqual(notTestedCallbacks(run('sum7', 'off'), bmc, PORTS).map((c) => c.proto), ['https']);
  assert.deepEqual(mediaProbes('b1', 'tok', [CONTROLLER], PORTS, ['http']).map((p) => p.id), ['redfish-http-0']);
});

test('callbacks off: the plan asks the agent only for the web callbacks given', () => {
  const httpOnly = buildPlan({ node: 'n1', token: 't', callbackAddresses: [CONTROLLER], sources: [], webProtos: ['http'] }, DIGESTS, SETTINGS);
  assert.ok(httpOnly.probes.length > 0);
  assert.deepEqual([...new Set(httpOnly.probes.map((p) => p.proto))], ['http']);
  const none = buildPlan({ node: 'n1', token: 't', callbackAddresses: [CONTROLLER], sources: [], webProtos: [] }, DIGESTS, SETTINGS);
  assert.deepEqual(none.probes, []);
});

test('callbacks off: an untested callback is reported as information, not tested by choice, and the node stays ok', () => {
  const httpOnly = buildPlan({ node: 'n1', token: 'tok', callbackAddresses: [CONTROLLER], sources: [], webProtos: ['http'] }, DIGESTS, SETTINGS);
  const why = 'HPE SUM 7.3+ needs no https callback from vmware nodes';
  const report = diagnoseNode(
    evidence({}, {
      profile: 'vmware',
      probes: httpOnly.probes,
      events: [AGENT, FACTS, ...httpOnly.probes.map((p) => okResult(p.id, httpOnly)), DONE],
      notTested: [{ proto: 'https', port: 63002, why }],
    }),
  );
  const https = report.paths.filter((p) => p.direction === 'callback' && p.proto === 'https');
  assert.equal(https.length, 1);
  assert.equal(https[0]!.verdict, 'not-measured');
  assert.deepEqual(https[0]!.evidence, { kind: 'not-run', byChoice: 'callbacks-off' });
  assert.match(https[0]!.summary, /not tested by choice \(--callbacks off\)/);
  assert.equal(https[0]!.notNeeded, why);
  assert.equal(pathClass(https[0]!), 'info');
  assert.equal(report.verdict, 'ok');
  assert.deepEqual(classCounts([report]), { faults: 0, warnings: 0, information: 1 });
});

test('manager per node: the inventory\'s manager judges the node instead of --manager, and the report says so', () => {
  const esx = node('vmware', { manager: 'vum' });
  const options = run('hpsum6', 'off');
  assert.equal(managerFor(options, esx)?.name, 'vum');
  assert.equal(ownManager(options, esx), 'vum');
  assert.equal(ownManager(options, node('vmware', { manager: 'hpsum6' })), undefined, 'the same as the run\'s: nothing to record');
  assert.equal(managerFor(options, node('vmware'))?.name, 'hpsum6');
  // hpsum6 needs both web callbacks from ESXi; vum only http: the node's own manager decides what is skipped.
  assert.deepEqual(webCallbacks(options, node('vmware')), ['http', 'https']);
  assert.deepEqual(webCallbacks(options, esx), ['http']);
  const report = diagnoseNode(evidence({}, { profile: 'vmware', manager: 'vum' }));
  assert.equal(report.manager, 'vum');
  assert.equal(diagnoseNode(evidence()).manager, undefined);
});
