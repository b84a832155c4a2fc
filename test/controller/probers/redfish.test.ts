/**
 * The BMC callback test end to end on 127.0.0.1: the run's real listener, the Redfish stand-in as
 * the BMC, the prober, and the judgement. Covers the verdicts and the safety rules: a busy slot is
 * never touched, what was inserted is ejected (also when the run stops), the session is logged
 * out, the BMC's certificate is verified, and the password appears in no evidence.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { judgeRedfish } from '../../../controller/diagnose/redfish.js';
import { RedfishStandIn } from '../../../controller/lab/redfish/server.js';
import type { ImageTrust } from '../../../controller/lab/redfish/fetch-image.js';
import type { MediaSlot } from '../../../controller/lab/redfish/resources.js';
import { testRedfishCallbacks, type MediaProbe, type RedfishTarget } from '../../../controller/probers/redfish.js';
import type { BmcTrust } from '../../../controller/probers/redfish-client.js';
import { createRunCertificate, type RunCertificate } from '../../../controller/wire/cert.js';
import { mediaUrl } from '../../../controller/wire/listener-media.js';
import type { RedfishEvidence } from '../../../src/evidence.js';
import { tempDir } from '../../helpers/cli.js';
import { startTestListener, type TestListener } from '../../helpers/listener-harness.js';
import { closedPort, LOOPBACK, serveOnLoopback } from '../../helpers/loopback-server.js';
import { createServer } from 'node:net';
import { redfishPaths } from '../../../controller/run/redfish-node.js';

const PASSWORD = 'bmc-secret-Zq81';
const FAST = { callMs: 5000, waitMs: 3000 };

async function bmc(t: TestContext, trust: ImageTrust, slots?: Partial<MediaSlot>[]): Promise<{ standIn: RedfishStandIn; port: number; cert: RunCertificate }> {
  const cert = await createRunCertificate([LOOPBACK], 'bmc');
  const standIn = new RedfishStandIn({ user: 'root', password: PASSWORD, cert, trust, fetchDeadlineMs: 2000, ...(slots === undefined ? {} : { slots }) });
  const port = await standIn.listen(LOOPBACK);
  t.after(() => standIn.close());
  return { standIn, port, cert };
}

function probesFor(l: TestListener, node: string, ports?: { http: number; https: number }): MediaProbe[] {
  const token = l.tokens.tokenFor(node);
  return (['http', 'https'] as const).map((proto) => {
    const port = ports?.[proto] ?? l.listener.portFor(proto);
    const id = `redfish-${proto}-0`;
    return { id, node, proto, address: LOOPBACK, port, url: mediaUrl(proto, LOOPBACK, port, token, id) };
  });
}

const target = (port: number, cert: RunCertificate, trust?: BmcTrust): RedfishTarget => ({ address: LOOPBACK, port, user: 'root', password: PASSWORD, trust: trust ?? { kind: 'pin', fingerprint256: cert.fingerprint256 } });
const evidenceOf = (p: { evidence: unknown }): RedfishEvidence => p.evidence as RedfishEvidence;

test('redfish callbacks: a BMC that reaches the listener on both ports is ok; media ejected, session logged out', async (t) => {
  const l = await startTestListener(t, LOOPBACK);
  const b = await bmc(t, { kind: 'all' });
  const probes = probesFor(l, 'bmc1');
  const outcome = await testRedfishCallbacks(target(b.port, b.cert), probes, l.listener.ledger, FAST);
  const paths = judgeRedfish(outcome, probes);
  assert.deepEqual(paths.map((p) => `${p.proto}:${p.verdict}`), ['http:ok', 'https:ok']);
  assert.deepEqual(evidenceOf(paths[0]!).seen?.address, LOOPBACK);
  assert.deepEqual(b.standIn.state.actions.map((a) => `${a.action}:${a.ok}`), ['insert:true', 'eject:true', 'insert:true', 'eject:true']);
  assert.equal(outcome.loggedOut, true);
  assert.equal(b.standIn.state.sessions, 0);
  assert.ok(!JSON.stringify(paths).includes(PASSWORD), 'the password is in no evidence');
  const methods = l.listener.ledger.forNode('bmc1').map((r) => r.method);
  assert.ok(methods.includes('HEAD') && methods.includes('GET'), 'the BMC read the image as BMCs do');
});

test('redfish callbacks: a BMC that rejects the run\'s self-signed certificate is tls-failed on https, with its own message', async (t) => {
  const l = await startTestListener(t, LOOPBACK);
  const otherCa = await createRunCertificate([LOOPBACK], 'corporate CA');
  const b = await bmc(t, { kind: 'ca', caPem: otherCa.certPem });
  const probes = probesFor(l, 'bmc1');
  const paths = judgeRedfish(await testRedfishCallbacks(target(b.port, b.cert), probes, l.listener.ledger, FAST), probes);
  assert.deepEqual(paths.map((p) => `${p.proto}:${p.verdict}`), ['http:ok', 'https:tls-failed']);
  const e = evidenceOf(paths[1]!);
  assert.match(e.bmcMessages[0]!, /^Base\.1\.8\.CouldNotEstablishConnection: .*TLS certificate not trusted/);
  assert.equal(e.ejected, true);
  assert.match(paths[1]!.summary, /needs a certificate the BMC trusts/);
});

test('redfish callbacks: nothing listening on the port: rejected, with the BMC\'s message in the evidence', async (t) => {
  const l = await startTestListener(t, LOOPBACK);
  const b = await bmc(t, { kind: 'all' });
  const probes = probesFor(l, 'bmc1', { http: await closedPort(), https: l.listener.portFor('https') });
  const paths = judgeRedfish(await testRedfishCallbacks(target(b.port, b.cert), probes, l.listener.ledger, FAST), probes);
  assert.equal(paths[0]!.verdict, 'rejected');
  assert.equal(evidenceOf(paths[0]!).ledgerSawRequest, false);
  assert.match(evidenceOf(paths[0]!).bmcMessages.join(), /connection refused/);
  assert.equal(paths[1]!.verdict, 'ok');
});

test('redfish callbacks: when the only slot is in use nothing is inserted or ejected: not measured', async (t) => {
  const l = await startTestListener(t, LOOPBACK);
  const busy = 'http://198.51.100.9/installer.iso';
  const b = await bmc(t, { kind: 'all' }, [{ id: 'CD1', mediaTypes: ['CD'], image: busy }]);
  const probes = probesFor(l, 'bmc1');
  const outcome = await testRedfishCallbacks(target(b.port, b.cert), probes, l.listener.ledger, FAST);
  const paths = judgeRedfish(outcome, probes);
  assert.deepEqual(paths.map((p) => p.verdict), ['not-measured', 'not-measured']);
  assert.equal(outcome.skipped?.reason, 'slots-busy');
  assert.deepEqual(b.standIn.state.actions, [], 'the busy slot was not touched');
  assert.equal(b.standIn.state.managers[0]!.slots[0]!.image, busy);
  assert.equal(b.standIn.state.sessions, 0);
});

test('redfish callbacks: a stop during the test ejects what was inserted and inserts nothing more', async (t) => {
  const l = await startTestListener(t, LOOPBACK);
  const b = await bmc(t, { kind: 'all' });
  const probes = probesFor(l, 'bmc1');
  const stop = new AbortController();
  // The run stops as soon as the first request reaches the listener.
  const unwatch = l.listener.ledger.onRequest(() => stop.abort());
  t.after(unwatch);
  const outcome = await testRedfishCallbacks(target(b.port, b.cert), probes, l.listener.ledger, FAST, stop.signal);
  assert.equal(outcome.skipped?.reason, 'interrupted');
  assert.deepEqual(b.standIn.state.actions.map((a) => a.action), ['insert', 'eject']);
  assert.equal(b.standIn.state.managers[0]!.slots.every((s) => !s.inserted && s.image === undefined), true);
  assert.equal(outcome.loggedOut, true);
});

test('redfish callbacks: a stop while waiting for a BMC that accepted the insert first is not measured (interrupted), not blocked; media ejected', async (t) => {
  const l = await startTestListener(t, LOOPBACK);
  const stop = new AbortController();
  // The image server the BMC is sent to takes the connection and never answers; the run stops as the BMC connects.
  const hole = createServer();
  hole.on('connection', () => stop.abort());
  const holePort = await serveOnLoopback(t, hole);
  const cert = await createRunCertificate([LOOPBACK], 'bmc');
  const standIn = new RedfishStandIn({ user: 'root', password: PASSWORD, cert, trust: { kind: 'all' }, fetchDeadlineMs: 2000, acceptInsertFirst: true });
  const port = await standIn.listen(LOOPBACK);
  t.after(() => standIn.close());
  const probes = probesFor(l, 'bmc1', { http: holePort, https: l.listener.portFor('https') });
  const outcome = await testRedfishCallbacks(target(port, cert), probes, l.listener.ledger, FAST, stop.signal);
  const paths = judgeRedfish(outcome, probes);
  assert.deepEqual(paths.map((p) => p.verdict), ['not-measured', 'not-measured']);
  assert.match(paths[0]!.summary, /the run was interrupted while waiting for the BMC's request on http:/);
  assert.equal(evidenceOf(paths[0]!).interrupted, true);
  assert.equal(evidenceOf(paths[0]!).ejected, true);
  assert.equal(outcome.skipped?.reason, 'interrupted', 'the https probe was not tried');
  assert.deepEqual(standIn.state.actions.map((a) => a.action), ['eject']);
  assert.equal(standIn.state.managers[0]!.slots.every((s) => !s.inserted && s.image === undefined), true);
  assert.equal(outcome.loggedOut, true);
});

test('redfish callbacks: a BMC node whose turn comes after the interrupt gets its Redfish paths, not measured, and the BMC is not contacted', async (t) => {
  const l = await startTestListener(t, LOOPBACK);
  const stopped = AbortSignal.abort();
  const spec = {
    name: 'bmc1',
    addresses: [LOOPBACK],
    profile: 'bmc',
    from: { file: 'inv.yaml', line: 1 },
    redfish: { address: LOOPBACK, port: await closedPort(), user: 'root', password: { env: 'TWOWAY_TEST_UNSET' }, trust: { fingerprint256: 'AA' } },
  } as Parameters<typeof redfishPaths>[0];
  const paths = await redfishPaths(spec, l.tokens.tokenFor('bmc1'), [LOOPBACK], ['http', 'https'], l.listener, stopped);
  assert.deepEqual(paths.map((p) => `${p.proto}:${p.verdict}`), ['http:not-measured', 'https:not-measured']);
  assert.equal(evidenceOf(paths[0]!).skipped, 'interrupted');
  assert.match(paths[0]!.summary, /interrupted before this BMC was tested/);
});

test('redfish callbacks: the BMC\'s certificate is verified: a wrong pin stops before login; first use records it, then pins', async (t) => {
  const l = await startTestListener(t, LOOPBACK);
  const b = await bmc(t, { kind: 'all' });
  const probes = probesFor(l, 'bmc1');
  const wrong = await testRedfishCallbacks(target(b.port, b.cert, { kind: 'pin', fingerprint256: 'AA:BB' }), probes, l.listener.ledger, FAST);
  assert.equal(wrong.skipped?.reason, 'tls');
  assert.deepEqual(b.standIn.state.actions, []);
  assert.deepEqual(judgeRedfish(wrong, probes).map((p) => p.verdict), ['not-measured', 'not-measured']);

  const file = join(tempDir(t, 'twoway-tofu-'), 'bmc-known');
  const first = await testRedfishCallbacks(target(b.port, b.cert, { kind: 'tofu', file }), probes, l.listener.ledger, FAST);
  assert.match(first.trust, /^first use: fingerprint .* recorded/);
  assert.ok(existsSync(file));
  assert.equal(readFileSync(file, 'utf8'), `${LOOPBACK} ${b.cert.fingerprint256}\n`);
  const second = await testRedfishCallbacks(target(b.port, b.cert, { kind: 'tofu', file }), probes, l.listener.ledger, FAST);
  assert.match(second.trust, /^pinned fingerprint/);

  const other = await bmc(t, { kind: 'all' });
  const changed = await testRedfishCallbacks(target(other.port, other.cert, { kind: 'tofu', file }), probes, l.listener.ledger, FAST);
  assert.equal(changed.skipped?.reason, 'tls', 'another certificate at the recorded address is refused');
});

test('redfish callbacks: a wrong password is refused at login and nothing is touched', async (t) => {
  const l = await startTestListener(t, LOOPBACK);
  const b = await bmc(t, { kind: 'all' });
  const probes = probesFor(l, 'bmc1');
  const outcome = await testRedfishCallbacks({ ...target(b.port, b.cert), password: 'nope' }, probes, l.listener.ledger, FAST);
  assert.equal(outcome.skipped?.reason, 'auth');
  assert.deepEqual(b.standIn.state.actions, []);
});
